#pragma once
// The options several tools share, registered on a tool's command line by one
// helper so that they read, default and fail alike in every tool:
//   -d/--duration, -i/--interval, --count, positional [interval [count]] or
//   [duration], -T, -j, -v/-q (on every tool), pid lists (-p 1,2,3 and
//   repeated -p), output files (--folded/--svg/--pprof FILE, -o FILE).
// A bad value is one UserError line naming the option and what to write instead
// (exit code 2, as for any usage error).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/logging.h"
#include "base/run_options.h"

namespace bpfscope {

// Exit code of a usage error (bad option or value), as argparse and bcc use.
inline constexpr int kUsageExitCode = 2;

// The value parsers behind the options; each throws UserError("<option> <text>: ...").
// A number of seconds > 0 (fractions allowed), at most a year.
double parse_seconds(const std::string& option, const std::string& text);
// A whole number in [1, max].
uint64_t parse_positive_count(const std::string& option, const std::string& text,
                              uint64_t max = UINT32_MAX);
// A whole number in [min, max]. (CLI11's own parsing turns "-5" into a huge
// unsigned value and names 20-digit bounds; this one says what to write.)
uint64_t parse_whole_number(const std::string& option, const std::string& text, uint64_t min,
                            uint64_t max);
// "1,2,3" -> {1, 2, 3}: process or thread ids (> 0).
std::vector<uint32_t> parse_id_list(const std::string& option, const std::string& text);
// An output file: not empty, not a directory, in a directory that exists ("-": stdout).
void check_output_path(const std::string& option, const std::string& path);

class ToolOptions {
  public:
    // `tool` is the name in messages and usage; -h, -v and -q are always there.
    ToolOptions(std::string tool, std::string description);
    ToolOptions(const ToolOptions&) = delete;
    ToolOptions& operator=(const ToolOptions&) = delete;

    CLI::App& app() { return app_; }

    // -d, -i, --count, -T, -j; and -v/-q land in `run` as well.
    ToolOptions& run_options(RunOptions& run);
    // Positional [interval [count]] (runqlat, libbpf-tools style): same as -i/--count.
    ToolOptions& interval_positionals(RunOptions& run);
    // Positional [duration] (profile, offcputime): same as -d.
    ToolOptions& duration_positional(RunOptions& run);
    // -d/--duration alone, for tools that are not run_loop tools (memcg --no-workload).
    ToolOptions& duration(double& seconds, const std::string& help);
    // -j/--json alone.
    ToolOptions& json(bool& json, const std::string& help = "JSON output");
    // A pid (or tid) list: "-p 1,2,3", "-p 1 -p 2".
    ToolOptions& id_list(const std::string& names, std::vector<uint32_t>& ids,
                         const std::string& help);
    // One pid.
    ToolOptions& id(const std::string& names, uint32_t& id, const std::string& help);
    // A whole-number option in [min, max], parsed by parse_whole_number.
    template <typename T>
    ToolOptions& number(const std::string& names, T& value, uint64_t min, uint64_t max,
                        const std::string& help) {
        std::string option = names.substr(0, names.find(','));
        app_.add_option_function<std::string>(
                names,
                [&value, option, min, max](const std::string& text) {
                    value = static_cast<T>(parse_whole_number(option, text, min, max));
                },
                help)
            ->type_name("N");
        return *this;
    }
    // An output file option (FILE).
    ToolOptions& output_file(const std::string& names, std::string& path, const std::string& help);

    // Parses argv. Returns the exit code when the run ends here (--help: 0),
    // std::nullopt when the tool goes on. Sets the log level from -v/-q.
    // Throws UserError (exit code 2) on a bad command line.
    std::optional<int> parse(int argc, char** argv);

    Verbosity verbosity() const;
    bool verbose() const { return verbose_; }

  private:
    CLI::App app_;
    std::string tool_;
    bool verbose_ = false, quiet_ = false;
    RunOptions* run_ = nullptr;
    std::vector<std::string> interval_positionals_;
    std::string duration_positional_;
    RunOptions* positional_target_ = nullptr;
};

// Adds an output-file option (FILE, checked as check_output_path) to any app:
// the stack outputs (report/stack_outputs) register theirs with it.
CLI::Option* add_output_file_option(CLI::App& app, const std::string& names, std::string& path,
                                    const std::string& help);

}  // namespace bpfscope
