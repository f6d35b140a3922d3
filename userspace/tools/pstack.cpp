// bpfscope pstack: where every thread of a live process is right now (pstack,
// eu-stack): user stacks unwound with DWARF CFI through libraries without frame
// pointers, inlined frames and demangled names, and the kernel stack of each thread.
// No BPF: each thread is held with PTRACE_SEIZE only while its registers and stack
// are read (core/live_stacks.h).
#include <iostream>

#include "base/options.h"
#include "core/live_stacks.h"
#include "core/tool_registry.h"
#include "report/model.h"
#include "report/write_report.h"

namespace {

int pstack_main(int argc, char** argv) {
    bpfscope::ToolOptions cli("pstack",
                              "Print the user and kernel stacks of a live process's threads");
    uint32_t pid = 0;
    std::vector<uint32_t> tids;
    bool json = false, user_only = false, kernel_only = false;
    unsigned max_depth = 256;
    cli.id("pid", pid, "the process (required)");
    cli.app().get_option("pid")->required();
    cli.id_list("--tid", tids, "only these threads (a list: --tid 12,13)");
    cli.app().add_flag("-U,--user-stacks-only", user_only, "user stacks only");
    cli.app().add_flag("-K,--kernel-stacks-only", kernel_only, "kernel stacks only");
    cli.app()
        .add_option("--max-depth", max_depth, "user frames per thread (default 256)")
        ->check(CLI::Range(1u, 4096u));
    cli.json(json);
    cli.app().get_option("-U")->excludes("-K");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    bpfscope::LiveStackOptions options;
    options.tids = tids;
    options.user = !kernel_only;
    options.kernel = !user_only;
    options.max_depth = max_depth;
    options.source_lines = cli.verbose();
    auto stacks = bpfscope::capture_live_stacks(pid, options);
    auto report = bpfscope::live_stacks_report(stacks, cli.verbose());
    bpfscope::report::write_report(std::cout, report, json);
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("pstack", "the user and kernel stacks of a live process's threads, now",
                       pstack_main);
