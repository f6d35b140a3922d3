// Trimming on real kernel stacks (root): stacks captured by tp_btf and raw_tp programs
// at sched_switch begin with the BPF program and the tracepoint glue that ran it; the
// symbolizer drops exactly those and keeps the scheduler frames.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/owners.h"
#include "support/preconditions.h"
#include "symbols/symbolizer.h"
#include "symbols_stack.skel.h"

using bpfscope::StackFrame;
using bpfscope::symbols::Symbolizer;

namespace {

using StackSkeleton = bpfscope::Skeleton<symbols_stack_bpf, symbols_stack_bpf__destroy>;

std::vector<std::string> names(const std::vector<StackFrame>& frames) {
    std::vector<std::string> out;
    for (const StackFrame& frame : frames) out.push_back(frame.name);
    return out;
}

bool is_bpf_or_glue(const std::string& name) {
    for (const char* prefix : {"bpf_prog_", "bpf_trampoline_", "bpf_trace_run", "__bpf_trace_",
                               "__traceiter_", "bpf_get_stack"}) {
        if (name.rfind(prefix, 0) == 0)
            return true;
    }
    return false;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += name + ";";
    return out;
}

}  // namespace

TEST(SymbolsTrim, RealTpBtfAndRawTpStacks) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    // A child that sleeps over and over: every sleep is a sched_switch away from it.
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (int i = 0; i < 400; ++i) usleep(5000);
        _exit(0);
    }
    StackSkeleton skeleton(symbols_stack_bpf__open());
    ASSERT_TRUE(skeleton);
    skeleton->rodata->target_tgid = static_cast<__u32>(child);
    ASSERT_EQ(symbols_stack_bpf__load(skeleton.get()), 0) << "loading the test BPF programs failed";
    bpfscope::BpfLink tp_btf(bpf_program__attach(skeleton->progs.stack_tp_btf));
    bpfscope::BpfLink raw_tp(bpf_program__attach(skeleton->progs.stack_raw_tp));
    ASSERT_TRUE(tp_btf) << "tp_btf/sched_switch attach failed";
    ASSERT_TRUE(raw_tp) << "raw_tp/sched_switch attach failed";
    for (int i = 0;
         i < 100 && (skeleton->data->tp_btf_stack_id < 0 || skeleton->data->raw_tp_stack_id < 0);
         ++i)
        usleep(20000);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);

    int map_fd = bpf_map__fd(skeleton->maps.stacks);
    for (long id : {skeleton->data->tp_btf_stack_id, skeleton->data->raw_tp_stack_id}) {
        ASSERT_GE(id, 0) << "no stack captured";
        std::vector<uint64_t> ips(127);
        __u32 key = static_cast<__u32>(id);
        ASSERT_EQ(bpf_map_lookup_elem(map_fd, &key, ips.data()), 0);

        // A fresh /proc/kallsyms, not the process-wide copy: that one may have
        // been loaded (by an earlier test) before our BPF programs existed.
        Symbolizer::Options untrimmed_options;
        untrimmed_options.kallsyms_path = "/proc/kallsyms";
        untrimmed_options.trim_tool_frames = false;
        Symbolizer untrimmed(untrimmed_options);
        auto raw = names(untrimmed.kernel_frames(ips));  // root first, leaf last
        ASSERT_FALSE(raw.empty());
        // The capture really starts in BPF: the leaf is the program or its glue.
        EXPECT_TRUE(is_bpf_or_glue(raw.back())) << joined(raw);

        Symbolizer::Options trimmed_options;
        trimmed_options.kallsyms_path = "/proc/kallsyms";
        Symbolizer symbolizer(trimmed_options);
        auto trimmed = names(symbolizer.kernel_frames(ips));
        EXPECT_GT(symbolizer.stats().trimmed_frames, 0u);
        EXPECT_EQ(trimmed.size() + symbolizer.stats().trimmed_frames, raw.size());
        for (const auto& name : trimmed) EXPECT_FALSE(is_bpf_or_glue(name)) << joined(trimmed);
        ASSERT_FALSE(trimmed.empty());
        // What is left ends in the scheduler, where the tracepoint fired.
        EXPECT_EQ(trimmed.back(), "__schedule") << joined(trimmed);
        std::printf("raw: %s\ntrimmed: %s (%lu frames)\n", joined(raw).c_str(),
                    joined(trimmed).c_str(),
                    static_cast<unsigned long>(symbolizer.stats().trimmed_frames));
    }
}
