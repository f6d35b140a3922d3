// runqlat as libbpf-tools 0.26 has it: its options ([interval [count]],
// -T -m -P -L --pidnss -p -c -v) and its text (print_log2_hist tables, a
// "pid = N comm" line before each per-process table).
#include <fmt/format.h>

#include <iostream>

#include "base/argp_options.h"
#include "base/options.h"
#include "report/bcc_text_writer.h"
#include "tools/compat/drop_in.h"

namespace bpfscope::compat {
namespace {

class RunqlatText : public DropInOutput {
  public:
    explicit RunqlatText(bool milliseconds) : unit_(milliseconds ? "msecs" : "usecs") {}
    void started() override {
        std::cout << "Tracing run queue latency... Hit Ctrl-C to end.\n" << std::flush;
    }
    void write(const report::Report& report, const report::StackProfile*, bool) override {
        std::string out = "\n";
        if (report.timestamp)
            out += fmt::format("{:<8}\n", *report.timestamp);
        for (const auto& section : report.sections) {
            if (!section.histogram)
                continue;
            for (const char* key : {"pid", "tid", "pidns"})
                if (section.find(key))
                    out += fmt::format("\n{} = {} {}\n", key, field_number(section, key),
                                       field_text(section, "comm"));
            out += report::bcc_log2_histogram(report::bcc_log2_slots(*section.histogram), unit_);
        }
        std::cout << out << std::flush;
        write_warnings(report);
    }

  private:
    std::string unit_;
};

int runqlat_drop_in(int argc, char** argv) {
    NativeArgs native;
    bool milliseconds = false;
    ArgpStyleOptions cli(
        "runqlat",
        "Summarize run queue (scheduler) latency as a histogram.\n\n"
        "USAGE: runqlat [--help] [-T] [-m] [--pidnss] [-L] [-P] [-p PID] [interval] [count] "
        "[-c CG]\n\n"
        "EXAMPLES:\n"
        "    runqlat         # summarize run queue latency as a histogram\n"
        "    runqlat 1 10    # print 1 second summaries, 10 times\n"
        "    runqlat -mT 1   # 1s summaries, milliseconds, and timestamps\n"
        "    runqlat -P      # show each PID separately\n"
        "    runqlat -p 185  # trace PID 185 only (or -p 185,186)\n"
        "    runqlat -c CG   # Trace process under cgroupsPath CG\n"
        "(bpfscope drop-in for libbpf-tools runqlat; `bpfscope runqlat` has more)\n");
    cli.option('c', "cgroup", "/sys/fs/cgroup/unified", "Trace process in cgroup path",
               native.value("--cgroup"))
        .flag('L', "tids", "Print a histogram per thread ID", native.flag("-L"))
        .flag('m', "milliseconds", "Millisecond histogram",
              [&] {
                  milliseconds = true;
                  native.words.push_back("-m");
              })
        .flag(0, "pidnss", "Print a histogram per PID namespace", native.flag("--pidnss"))
        .option('p', "pid", "PID", "Trace this PID only (or a comma-separated list)",
                native.value("-p"))
        .flag('P', "pids", "Print a histogram per process ID", native.flag("-P"))
        .flag('T', "timestamp", "Include timestamp on output", native.flag("-T"))
        .flag('v', "verbose", "Verbose debug output", native.flag("-v"))
        .positionals([&](size_t index, const std::string& value) {
            if (index > 1)
                throw UserError("unrecognized positional argument: " + value, kArgpUsageExitCode);
            // Validated here so that the message names the positional.
            if (index == 0)
                parse_seconds("interval", value);
            else
                parse_positive_count("count", value, INT32_MAX);
            native.words.push_back(index == 0 ? "-i" : "--count");
            native.words.push_back(value);
        });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    install_drop_in_output(std::make_unique<RunqlatText>(milliseconds));
    return run_native_tool("runqlat", native.words);
}

}  // namespace

BPFSCOPE_REGISTER_DROP_IN("runqlat", runqlat_drop_in);

}  // namespace bpfscope::compat
