// profile as libbpf-tools has it (Debian's 0.26 has no profile; this follows
// upstream libbpf-tools/profile.c): its options (-p and -L comma lists, -U -K
// -F -d -I -f -C --stack-storage-size --perf-max-stack-depth -v [duration];
// -d is the delimiter there, the duration is positional) and its text
// (multi-line stacks largest first, or folded lines with -f).
#include <fmt/format.h>

#include <iostream>

#include "base/argp_options.h"
#include "base/options.h"
#include "tools/compat/drop_in.h"

namespace bpfscope::compat {
namespace {

struct ProfileBanner {
    std::string frequency = "49", pids, tids, cpu, duration;
    bool user_only = false, kernel_only = false;

    // "Sampling at 49 Hertz of PID [1, 2] by user + kernel on CPU#0 for 5 secs."
    std::string text() const {
        auto listed = [](const std::string& ids) {
            std::string out;
            for (char c : ids) out += c == ',' ? std::string(", ") : std::string(1, c);
            return out;
        };
        std::string out = "Sampling at " + frequency + " Hertz of";
        out += !pids.empty()   ? " PID [" + listed(pids) + "]"
               : !tids.empty() ? " TID [" + listed(tids) + "]"
                               : " all threads";
        out += user_only ? " by user" : kernel_only ? " by kernel" : " by user + kernel";
        if (!cpu.empty())
            out += " on CPU#" + cpu;
        out += duration.empty() ? "... Hit Ctrl-C to end.\n" : " for " + duration + " secs.\n";
        return out;
    }
};

int profile_drop_in(int argc, char** argv) {
    NativeArgs native;
    bool folded = false, delimiter = false;
    ProfileBanner banner;
    ArgpStyleOptions cli(
        "profile",
        "Profile CPU usage by sampling stack traces at a timed interval.\n\n"
        "USAGE: profile [OPTIONS...] [duration]\n"
        "EXAMPLES:\n"
        "    profile             # profile stack traces at 49 Hertz until Ctrl-C\n"
        "    profile -F 99       # profile stack traces at 99 Hertz\n"
        "    profile 5           # profile at 49 Hertz for 5 seconds only\n"
        "    profile -f          # output in folded format for flame graphs\n"
        "    profile -p 185      # only profile process with PID 185\n"
        "    profile -L 185      # only profile thread with TID 185\n"
        "    profile -U          # only show user space stacks (no kernel)\n"
        "    profile -K          # only show kernel space stacks (no user)\n"
        "(bpfscope drop-in for libbpf-tools profile; `bpfscope profile` has more)\n");
    // Their value, kept for the banner too.
    auto kept = [&](const char* option, std::string& keep) {
        return [&native, option, &keep](const std::string& value) {
            native.value(option)(value);
            keep = value;
        };
    };
    cli.option('p', "pid", "PID", "profile processes with one or more comma-separated PIDs only",
               kept("-p", banner.pids))
        .option('L', "tid", "TID", "profile threads with one or more comma-separated TIDs only",
                kept("-L", banner.tids))
        .flag('U', "user-stacks-only", "show stacks from user space only (no kernel space stacks)",
              [&] {
                  banner.user_only = true;
                  native.words.push_back("-U");
              })
        .flag('K', "kernel-stacks-only",
              "show stacks from kernel space only (no user space stacks)",
              [&] {
                  banner.kernel_only = true;
                  native.words.push_back("-K");
              })
        .option('F', "frequency", "FREQUENCY", "sample frequency, Hertz",
                kept("-F", banner.frequency))
        .flag('d', "delimited", "insert delimiter between kernel/user stacks",
              [&] { delimiter = true; })
        .flag('I', "include-idle", "include CPU idle stacks", [&] { native.words.push_back("-I"); })
        .flag('f', "folded", "output folded format, one line per stack (for flame graphs)",
              [&] { folded = true; })
        .option(0, "stack-storage-size", "STACK-STORAGE-SIZE",
                "the number of unique stack traces that can be stored and displayed (default "
                "10240)",
                native.value("--stack-storage-size"))
        .option('C', "cpu", "CPU", "cpu number to run profile on", kept("-C", banner.cpu))
        .option(0, "perf-max-stack-depth", "PERF-MAX-STACK-DEPTH",
                "the limit for both kernel and user stack traces (default 127)",
                native.value("--perf-max-stack-depth"))
        .flag('v', "verbose", "Verbose debug output", [&] { native.words.push_back("-v"); })
        .positionals([&](size_t index, const std::string& value) {
            if (index > 0)
                throw UserError("Unrecognized positional argument: " + value, kArgpUsageExitCode);
            parse_seconds("duration", value);
            banner.duration = value;
            native.words.insert(native.words.end(), {"-d", value});
        });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    report::BccStackOptions style;
    style.delimiter = delimiter;
    install_drop_in_output(std::make_unique<StackTextOutput>(folded, style, banner.text()));
    return run_native_tool("profile", native.words);
}

}  // namespace

BPFSCOPE_REGISTER_DROP_IN("profile", profile_drop_in);

}  // namespace bpfscope::compat
