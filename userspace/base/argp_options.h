#pragma once
// A command-line parser that reads options the way glibc's argp does, for the
// libbpf-tools drop-in mode (userspace/tools/compat/): short options bundle
// ("-mT"), take their value attached or next ("-p185", "-p 185"), long ones
// take "=VALUE" or the next word and may be shortened to any unambiguous
// prefix ("--milli"), positionals may come anywhere, "--" ends the options,
// and -?/--help, --usage and -V/--version are always there. Bad input is one
// UserError line (exit code 64, argp's EX_USAGE).
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bpfscope {

inline constexpr int kArgpUsageExitCode = 64;

class ArgpStyleOptions {
  public:
    // `doc`: the text --help prints under the usage line (the tool's own usage
    // and examples); `args_doc`: the positionals in the usage line ("FUNCTION").
    ArgpStyleOptions(std::string program, std::string doc, std::string args_doc = {});

    // short_name 0: long only; long_name "": short only.
    ArgpStyleOptions& flag(char short_name, std::string long_name, std::string help,
                           std::function<void()> on_flag);
    ArgpStyleOptions& option(char short_name, std::string long_name, std::string arg_name,
                             std::string help, std::function<void(const std::string&)> on_value);
    // Called for each positional, in order, with its index.
    ArgpStyleOptions& positionals(std::function<void(size_t index, const std::string&)> on_value);

    // Parses argv (argv[0] is the program). Returns an exit code when the run
    // ends here (--help, --usage, --version: 0), std::nullopt when it goes on.
    // The handlers' UserErrors pass through; unknown options, missing values
    // and unexpected positionals throw UserError (kArgpUsageExitCode).
    std::optional<int> parse(int argc, char** argv);
    std::optional<int> parse(const std::vector<std::string>& args);  // without argv[0]

    // argp's layout: "  -p, --pid=PID              Trace this PID only".
    std::string help() const;

  private:
    struct Option {
        char short_name = 0;
        std::string long_name, arg_name, help;
        std::function<void()> on_flag;
        std::function<void(const std::string&)> on_value;
        bool takes_value() const { return !arg_name.empty(); }
    };
    const Option& find_short(char name) const;
    const Option& find_long(const std::string& name) const;
    std::string usage_error(const std::string& what) const;

    std::string program_, doc_, args_doc_;
    std::vector<Option> options_;
    std::function<void(size_t, const std::string&)> on_positional_;
};

}  // namespace bpfscope
