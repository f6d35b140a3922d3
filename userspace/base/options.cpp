#include "base/options.h"

#include <sys/stat.h>

#include <charconv>
#include <cmath>
#include <iostream>

#include "base/error.h"

namespace bpfscope {

namespace {

constexpr double kMaxSeconds = 366.0 * 24 * 3600;

[[noreturn]] void bad_value(const std::string& option, const std::string& text,
                            const std::string& expected) {
    throw UserError(option + " '" + text + "': " + expected, kUsageExitCode);
}

// The option's first name as a user would write it: "-d" of "-d,--duration".
std::string short_name(const std::string& names) {
    return names.substr(0, names.find(','));
}

}  // namespace

double parse_seconds(const std::string& option, const std::string& text) {
    double seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    const std::string expected = "expected a number of seconds greater than 0 (e.g. 5 or 0.5)";
    if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(seconds) || seconds <= 0)
        bad_value(option, text, expected);
    if (seconds > kMaxSeconds)
        bad_value(option, text, "at most a year (31622400 seconds)");
    return seconds;
}

uint64_t parse_positive_count(const std::string& option, const std::string& text, uint64_t max) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string expected = "expected a whole number from 1 to " + std::to_string(max);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 ||
        value > max)
        bad_value(option, text, expected);
    return value;
}

uint64_t parse_whole_number(const std::string& option, const std::string& text, uint64_t min,
                            uint64_t max) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
        value > max)
        bad_value(
            option, text,
            "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return value;
}

std::vector<uint32_t> parse_id_list(const std::string& option, const std::string& text) {
    std::vector<uint32_t> ids;
    size_t position = 0;
    while (true) {
        size_t comma = text.find(',', position);
        std::string item = text.substr(
            position, comma == std::string::npos ? std::string::npos : comma - position);
        uint64_t id = 0;
        auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (item.empty() || error != std::errc() || end != item.data() + item.size() || id == 0 ||
            id > INT32_MAX)
            bad_value(option, text,
                      "expected process ids (whole numbers > 0), one or comma-separated "
                      "(e.g. 1234 or 1234,5678)");
        ids.push_back(static_cast<uint32_t>(id));
        if (comma == std::string::npos)
            break;
        position = comma + 1;
    }
    return ids;
}

void check_output_path(const std::string& option, const std::string& path) {
    if (path.empty())
        bad_value(option, path, "expected a file name");
    if (path == "-")
        return;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        bad_value(option, path, "cannot write a directory; name a file in it");
    size_t slash = path.rfind('/');
    if (slash == std::string::npos)
        return;
    std::string directory = slash == 0 ? "/" : path.substr(0, slash);
    if (stat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        bad_value(
            option, path,
            "cannot write there: directory " + directory + " does not exist; create it first");
}

CLI::Option* add_output_file_option(CLI::App& app, const std::string& names, std::string& path,
                                    const std::string& help) {
    std::string option = short_name(names);
    return app
        .add_option_function<std::string>(
            names,
            [&path, option](const std::string& value) {
                check_output_path(option, value);
                path = value;
            },
            help)
        ->type_name("FILE");
}

ToolOptions::ToolOptions(std::string tool, std::string description)
    : app_(std::move(description), tool), tool_(std::move(tool)) {
    auto* verbose = app_.add_flag("-v,--verbose", verbose_,
                                  "Verbose: debug lines, libbpf's own output, more detail");
    app_.add_flag("-q,--quiet", quiet_, "Quiet: errors only on stderr")->excludes(verbose);
}

ToolOptions& ToolOptions::run_options(RunOptions& run) {
    run_ = &run;
    duration(run.duration_s, "Run for this many seconds (default: until Ctrl-C)");
    app_.add_option_function<std::string>(
            "-i,--interval",
            [&run](const std::string& text) { run.interval_s = parse_seconds("-i", text); },
            "Print and reset the figures every this many seconds")
        ->type_name("SECONDS");
    app_.add_option_function<std::string>(
            "--count",
            [&run](const std::string& text) {
                run.interval_count = int(parse_positive_count("--count", text, INT32_MAX));
            },
            "Stop after this many intervals")
        ->type_name("N");
    app_.add_flag("-T,--timestamp", run.timestamps, "Print a timestamp with each report");
    json(run.json, "Write the report as JSON (one object per report)");
    return *this;
}

ToolOptions& ToolOptions::interval_positionals(RunOptions& run) {
    positional_target_ = &run;
    app_.add_option("interval_count", interval_positionals_,
                    "[interval [count]]: the same as -i INTERVAL --count COUNT")
        ->type_name("SECONDS [N]")
        ->expected(0, 2);
    return *this;
}

ToolOptions& ToolOptions::duration_positional(RunOptions& run) {
    positional_target_ = &run;
    app_.add_option("duration", duration_positional_, "Seconds to run (the same as -d)")
        ->type_name("SECONDS");
    return *this;
}

ToolOptions& ToolOptions::duration(double& seconds, const std::string& help) {
    app_.add_option_function<std::string>(
            "-d,--duration",
            [&seconds](const std::string& text) { seconds = parse_seconds("-d", text); }, help)
        ->type_name("SECONDS");
    return *this;
}

ToolOptions& ToolOptions::json(bool& json, const std::string& help) {
    app_.add_flag("-j,--json", json, help);
    return *this;
}

ToolOptions& ToolOptions::id_list(const std::string& names, std::vector<uint32_t>& ids,
                                  const std::string& help) {
    std::string option = short_name(names);
    app_.add_option_function<std::vector<std::string>>(
            names,
            [&ids, option](const std::vector<std::string>& texts) {
                for (const auto& text : texts)
                    for (uint32_t id : parse_id_list(option, text)) ids.push_back(id);
            },
            help + " (comma-separated or repeated)")
        ->type_name("ID[,ID...]")
        ->allow_extra_args(false);
    return *this;
}

ToolOptions& ToolOptions::id(const std::string& names, uint32_t& id, const std::string& help) {
    std::string option = short_name(names);
    app_.add_option_function<std::string>(
            names,
            [&id, option](const std::string& text) {
                auto ids = parse_id_list(option, text);
                if (ids.size() != 1)
                    throw UserError(option + " '" + text + "': takes one process id",
                                    kUsageExitCode);
                id = ids.front();
            },
            help)
        ->type_name("PID");
    return *this;
}

ToolOptions& ToolOptions::output_file(const std::string& names, std::string& path,
                                      const std::string& help) {
    add_output_file_option(app_, names, path, help);
    return *this;
}

Verbosity ToolOptions::verbosity() const {
    return quiet_ ? Verbosity::kQuiet : verbose_ ? Verbosity::kVerbose : Verbosity::kNormal;
}

std::optional<int> ToolOptions::parse(int argc, char** argv) {
    try {
        app_.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app_.help();
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app_.help("", CLI::AppFormatMode::All);
        return 0;
    } catch (const CLI::ParseError& error) {
        // CLI11's own messages name the option; add where to look.
        throw UserError(std::string(error.what()) + "; see 'bpfscope " + tool_ + " --help'",
                        kUsageExitCode);
    }
    setup_logging({}, verbosity());
    if (positional_target_) {
        if (!interval_positionals_.empty())
            positional_target_->interval_s = parse_seconds("interval", interval_positionals_[0]);
        if (interval_positionals_.size() > 1)
            positional_target_->interval_count =
                int(parse_positive_count("count", interval_positionals_[1], INT32_MAX));
        if (!duration_positional_.empty())
            positional_target_->duration_s = parse_seconds("duration", duration_positional_);
    }
    if (run_) {
        run_->verbose = verbose_;
        run_->quiet = quiet_;
    }
    return std::nullopt;
}

}  // namespace bpfscope
