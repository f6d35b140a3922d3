#include "base/argp_options.h"

#include <cstdio>

#include "base/error.h"

namespace bpfscope {

namespace {
constexpr char kHelp = '?', kVersion = 'V';
}  // namespace

ArgpStyleOptions::ArgpStyleOptions(std::string program, std::string doc, std::string args_doc)
    : program_(std::move(program)), doc_(std::move(doc)), args_doc_(std::move(args_doc)) {}

ArgpStyleOptions& ArgpStyleOptions::flag(char short_name, std::string long_name, std::string help,
                                         std::function<void()> on_flag) {
    options_.push_back(
        {short_name, std::move(long_name), {}, std::move(help), std::move(on_flag), nullptr});
    return *this;
}

ArgpStyleOptions& ArgpStyleOptions::option(char short_name, std::string long_name,
                                           std::string arg_name, std::string help,
                                           std::function<void(const std::string&)> on_value) {
    options_.push_back({short_name, std::move(long_name), std::move(arg_name), std::move(help),
                        nullptr, std::move(on_value)});
    return *this;
}

ArgpStyleOptions& ArgpStyleOptions::positionals(
    std::function<void(size_t, const std::string&)> on_value) {
    on_positional_ = std::move(on_value);
    return *this;
}

std::string ArgpStyleOptions::usage_error(const std::string& what) const {
    return what + "; run '" + program_ + " --help' for the options";
}

const ArgpStyleOptions::Option& ArgpStyleOptions::find_short(char name) const {
    for (const auto& option : options_)
        if (option.short_name == name)
            return option;
    throw UserError(usage_error(std::string("invalid option -- '") + name + "'"),
                    kArgpUsageExitCode);
}

const ArgpStyleOptions::Option& ArgpStyleOptions::find_long(const std::string& name) const {
    const Option* prefix_match = nullptr;
    int prefix_matches = 0;
    for (const auto& option : options_) {
        if (option.long_name.empty())
            continue;
        if (option.long_name == name)
            return option;
        if (option.long_name.compare(0, name.size(), name) == 0) {
            prefix_match = &option;
            ++prefix_matches;
        }
    }
    if (prefix_matches == 1)
        return *prefix_match;
    throw UserError(usage_error("option '--" + name + "' is " +
                                (prefix_matches ? "ambiguous" : "not recognized")),
                    kArgpUsageExitCode);
}

std::optional<int> ArgpStyleOptions::parse(int argc, char** argv) {
    return parse(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
}

std::optional<int> ArgpStyleOptions::parse(const std::vector<std::string>& args) {
    // The options argp adds to every program.
    for (const auto& arg : args) {
        if (arg == "--")
            break;
        if (arg == "--help" || arg == "-?" || arg == "-h") {
            std::fputs(help().c_str(), stdout);
            return 0;
        }
        if (arg == "--usage") {
            std::printf("Usage: %s [OPTION...] %s\n", program_.c_str(), args_doc_.c_str());
            return 0;
        }
        if (arg == "--version" || arg == "-V") {
            std::printf("%s (bpfscope, libbpf-tools drop-in mode)\n", program_.c_str());
            return 0;
        }
    }
    size_t positional_index = 0;
    auto positional = [&](const std::string& value) {
        if (!on_positional_)
            throw UserError(usage_error("unexpected argument '" + value + "'"), kArgpUsageExitCode);
        on_positional_(positional_index++, value);
    };
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto next_value = [&](const std::string& shown) -> std::string {
            if (i + 1 >= args.size())
                throw UserError(usage_error("option '" + shown + "' requires an argument"),
                                kArgpUsageExitCode);
            return args[++i];
        };
        if (arg == "--") {
            while (++i < args.size()) positional(args[i]);
            break;
        }
        if (arg.rfind("--", 0) == 0) {
            size_t equals = arg.find('=');
            std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
            const Option& option = find_long(name);
            if (!option.takes_value()) {
                if (equals != std::string::npos)
                    throw UserError(usage_error("option '--" + option.long_name +
                                                "' doesn't allow an argument"),
                                    kArgpUsageExitCode);
                option.on_flag();
            } else {
                option.on_value(equals != std::string::npos ? arg.substr(equals + 1)
                                                            : next_value("--" + option.long_name));
            }
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            positional(arg);
            continue;
        }
        // A bundle of short options; one that takes a value takes the rest of
        // the word, or the next word.
        for (size_t k = 1; k < arg.size(); ++k) {
            const Option& option = find_short(arg[k]);
            if (!option.takes_value()) {
                option.on_flag();
                continue;
            }
            option.on_value(k + 1 < arg.size() ? arg.substr(k + 1)
                                               : next_value(std::string("-") + arg[k]));
            break;
        }
    }
    return std::nullopt;
}

std::string ArgpStyleOptions::help() const {
    std::string out = "Usage: " + program_ + " [OPTION...]" +
                      (args_doc_.empty() ? "" : " " + args_doc_) + "\n" + doc_;
    if (!doc_.empty() && doc_.back() != '\n')
        out += '\n';
    out += '\n';
    auto line = [&](char short_name, const std::string& long_name, const std::string& arg_name,
                    const std::string& help) {
        std::string left = "  ";
        left += short_name ? std::string("-") + short_name + (long_name.empty() ? "" : ", ")
                           : std::string("    ");
        if (!long_name.empty())
            left += "--" + long_name + (arg_name.empty() ? "" : "=" + arg_name);
        else if (!arg_name.empty())
            left += " " + arg_name;
        // The help text starts at column 29, on the next line when the names are longer.
        if (left.size() > 28)
            left += "\n" + std::string(29, ' ');
        else
            left.append(29 - left.size(), ' ');
        out += left + help + "\n";
    };
    for (const auto& option : options_)
        line(option.short_name, option.long_name, option.arg_name, option.help);
    line(kHelp, "help", "", "Give this help list");
    line(0, "usage", "", "Give a short usage message");
    line(kVersion, "version", "", "Print program version");
    return out;
}

}  // namespace bpfscope
