// funclatency as libbpf-tools 0.26 has it: its options (-m -u -p -c -d -i -T
// -v FUNCTION, where FUNCTION is a kernel function, LIBRARY:FUNCTION,
// :FUNCTION (the binary of -p PID) or PROGRAM:FUNCTION) and its text: one
// print_log2_hist table in nsec/usec/msec per interval, cumulative as theirs
// is, between "Tracing FUNC.  Hit Ctrl-C to exit" and "Exiting trace of FUNC".
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "base/argp_options.h"
#include "base/options.h"
#include "report/bcc_text_writer.h"
#include "tools/compat/drop_in.h"

namespace bpfscope::compat {
namespace {

class FunclatencyText : public DropInOutput {
  public:
    FunclatencyText(std::string function, bool timestamps)
        : function_(std::move(function)), timestamps_(timestamps) {}
    void started() override {
        std::cout << "Tracing " << function_ << ".  Hit Ctrl-C to exit\n" << std::flush;
    }
    void write(const report::Report& report, const report::StackProfile*, bool final) override {
        std::string out = "\n";
        if (timestamps_ && report.timestamp)
            out += fmt::format("{:<8}\n", *report.timestamp);
        for (const auto& section : report.sections) {
            if (!section.histogram)
                continue;
            // libbpf-tools never clears its histogram: each table is the whole run so far.
            auto slots = report::bcc_log2_slots(*section.histogram);
            totals_.resize(std::max(totals_.size(), slots.size()), 0);
            for (size_t i = 0; i < slots.size(); ++i) totals_[i] += slots[i];
            out += report::bcc_log2_histogram(totals_,
                                              report::bcc_singular_unit(section.histogram->unit));
        }
        if (final)
            out += "Exiting trace of " + function_ + "\n";
        std::cout << out << std::flush;
        write_warnings(report);
    }

  private:
    std::string function_;
    bool timestamps_;
    std::vector<uint64_t> totals_;
};

int funclatency_drop_in(int argc, char** argv) {
    NativeArgs native;
    std::string function, pid, duration, interval;
    bool timestamps = false;
    ArgpStyleOptions cli(
        "funclatency",
        "Time functions and print latency as a histogram\n\n"
        "Usage: funclatency [-h] [-m|-u] [-p PID] [-d DURATION] [ -i INTERVAL ] [-c CG]\n"
        "                   [-T] FUNCTION\n"
        "       Choices for FUNCTION: FUNCTION         (kprobe)\n"
        "                             LIBRARY:FUNCTION (uprobe a library in -p PID)\n"
        "                             :FUNCTION        (uprobe the binary of -p PID)\n"
        "                             PROGRAM:FUNCTION (uprobe the binary PROGRAM)\n"
        "(bpfscope drop-in for libbpf-tools funclatency; `bpfscope funclatency` has more)\n",
        "FUNCTION");
    auto keep = [](std::string& target, const char* what) {
        return [&target, what](const std::string& value) {
            parse_seconds(what, value);
            target = value;
        };
    };
    cli.flag('m', "milliseconds", "Output in milliseconds", native.flag("-m"))
        .flag('u', "microseconds", "Output in microseconds", native.flag("-u"))
        .option('p', "pid", "PID", "Process ID to trace",
                [&](const std::string& value) {
                    pid = value;
                    native.value("-p")(value);
                })
        .option('c', "cgroup", "/sys/fs/cgroup/unified", "Trace process in cgroup path",
                native.value("-c"))
        .option('d', "duration", "DURATION", "Duration to trace", keep(duration, "-d"))
        .option('i', "interval", "INTERVAL", "Summary interval in seconds", keep(interval, "-i"))
        .flag('T', "timestamp", "Print timestamp",
              [&] {
                  timestamps = true;
                  native.words.push_back("-T");
              })
        .flag('v', "verbose", "Verbose debug output", native.flag("-v"))
        .positionals([&](size_t index, const std::string& value) {
            if (index > 0)
                throw UserError("Too many function names: " + value, kArgpUsageExitCode);
            function = value;
        });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    if (function.empty())
        throw UserError(
            "Need a function to trace: give FUNCTION, LIBRARY:FUNCTION or "
            "PROGRAM:FUNCTION",
            kArgpUsageExitCode);
    std::string target = function;
    if (target.front() == ':') {  // the binary of -p PID
        if (pid.empty())
            throw UserError("'" + function + "' names a function of the -p process: add -p PID",
                            kArgpUsageExitCode);
        target = "/proc/" + pid + "/exe" + target;
    }
    // libbpf-tools prints duration/interval tables (interval capped at the
    // duration), then stops: exactly -i I --count N here.
    if (!duration.empty()) {
        double d = parse_seconds("-d", duration);
        double i = interval.empty() ? d : std::min(parse_seconds("-i", interval), d);
        auto count = std::max<long long>(1, std::llround(std::floor(d / i + 1e-9)));
        native.words.insert(native.words.end(),
                            {"-i", fmt::format("{}", i), "--count", std::to_string(count)});
    } else if (!interval.empty()) {
        native.value("-i")(interval);
    }
    native.words.push_back(target);
    install_drop_in_output(std::make_unique<FunclatencyText>(function, timestamps));
    return run_native_tool("funclatency", native.words);
}

}  // namespace

BPFSCOPE_REGISTER_DROP_IN("funclatency", funclatency_drop_in);

}  // namespace bpfscope::compat
