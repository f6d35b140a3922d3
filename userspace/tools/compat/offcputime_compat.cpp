// offcputime as libbpf-tools 0.26 has it: its options (-p -t -u -k -m -M
// --state --perf-max-stack-depth --stack-storage-size -v [duration]) and its
// text (kernel then user frames, leaf first, "    -                comm (tid)",
// the total in us). -f (folded) and -d (delimiter) are bcc's Python
// offcputime options, kept here because flame graphs need them.
#include <iostream>

#include "base/argp_options.h"
#include "base/options.h"
#include "tools/compat/drop_in.h"

namespace bpfscope::compat {
namespace {

int offcputime_drop_in(int argc, char** argv) {
    NativeArgs native;
    bool folded = false, delimiter = false;
    ArgpStyleOptions cli(
        "offcputime",
        "Summarize off-CPU time by stack trace.\n\n"
        "USAGE: offcputime [--help] [-p PID | -u | -k] [-m MIN-BLOCK-TIME] [-M MAX-BLOCK-TIME] "
        "[--state] [--perf-max-stack-depth] [--stack-storage-size] [-f] [duration]\n"
        "EXAMPLES:\n"
        "    offcputime             # trace off-CPU stack time until Ctrl-C\n"
        "    offcputime 5           # trace for 5 seconds only\n"
        "    offcputime -m 1000     # trace only events that last more than 1000 usec\n"
        "    offcputime -M 10000    # trace only events that last less than 10000 usec\n"
        "    offcputime -p 185      # only trace threads for PID 185\n"
        "    offcputime -t 188      # only trace thread 188\n"
        "    offcputime -u          # only trace user threads (no kernel)\n"
        "    offcputime -k          # only trace kernel threads (no user)\n"
        "    offcputime -f 5        # folded output for flame graphs\n"
        "(bpfscope drop-in for libbpf-tools offcputime; `bpfscope offcputime` has more)\n");
    cli.flag('d', "delimited", "insert delimiter between kernel/user stacks (with -f: \"-\")",
             [&] { delimiter = true; })
        .flag('f', "folded", "output folded format, one line per stack (for flame graphs)",
              [&] { folded = true; })
        .flag('k', "kernel-threads-only", "Kernel threads only (no user threads)",
              native.flag("--kernel-threads-only"))
        .option('m', "min-block-time", "MIN-BLOCK-TIME",
                "the amount of time in microseconds over which we store traces (default 1)",
                native.value("-m"))
        .option('M', "max-block-time", "MAX-BLOCK-TIME",
                "the amount of time in microseconds under which we store traces (default U64_MAX)",
                native.value("-M"))
        .option(0, "perf-max-stack-depth", "PERF-MAX-STACK-DEPTH",
                "the limit for both kernel and user stack traces (default 127)",
                native.value("--perf-max-stack-depth"))
        .option('p', "pid", "PID", "Trace this PID only (or a comma-separated list)",
                native.value("-p"))
        .option(0, "stack-storage-size", "STACK-STORAGE-SIZE",
                "the number of unique stack traces that can be stored and displayed (default "
                "10240)",
                native.value("--stack-storage-size"))
        .option(0, "state", "STATE",
                "filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see "
                "include/linux/sched.h",
                [&](const std::string& value) {
                    if (value != "0" && value != "1" && value != "2")
                        throw UserError("--state " + value + ": expected 0, 1 or 2",
                                        kArgpUsageExitCode);
                    native.words.insert(native.words.end(), {"--state", value});
                })
        .option('t', "tid", "TID", "Trace this TID only (or a comma-separated list)",
                native.value("-t"))
        .flag('u', "user-threads-only", "User threads only (no kernel threads)",
              native.flag("--user-threads-only"))
        .flag('v', "verbose", "Verbose debug output", native.flag("-v"))
        .positionals([&](size_t index, const std::string& value) {
            if (index > 0)
                throw UserError("Unrecognized positional argument: " + value, kArgpUsageExitCode);
            parse_seconds("duration", value);
            native.words.insert(native.words.end(), {"-d", value});
        });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    report::BccStackOptions style;
    style.delimiter = delimiter;
    style.show_tid = true;
    style.largest_first = false;  // bcc's order: the largest total last
    install_drop_in_output(std::make_unique<StackTextOutput>(folded, style));
    return run_native_tool("offcputime", native.words);
}

}  // namespace

BPFSCOPE_REGISTER_DROP_IN("offcputime", offcputime_drop_in);

}  // namespace bpfscope::compat
