// Kernel symbolization against the live /proc/kallsyms (root: only privileged
// users see its addresses). The logic itself is unit-tested on fixture text in
// unit/symbols_kernel_test.cpp.
#include <gtest/gtest.h>

#include "support/preconditions.h"
#include "symbols/kallsyms.h"
#include "symbols/symbolizer.h"

using bpfscope::symbols::Kallsyms;
using bpfscope::symbols::Symbolizer;

TEST(SymbolsKernel, ResolvesRealKallsymsWithOffsets) {
    BPFSCOPE_REQUIRE_ROOT("/proc/kallsyms shows addresses only to privileged users");
    // Its own copy of /proc/kallsyms: the process-wide one would be loaded here,
    // before BPF programs that later tests load and symbolize.
    const Kallsyms kallsyms("/proc/kallsyms");
    ASSERT_TRUE(kallsyms.has_addresses())
        << "/proc/kallsyms shows zero addresses to this user (kptr_restrict, or "
           "perf_event_paranoid > 1 without CAP_SYSLOG): kernel addresses cannot be resolved";
    auto schedule = kallsyms.address("schedule");
    ASSERT_TRUE(schedule) << "no 'schedule' in /proc/kallsyms";

    Symbolizer::Options options;
    options.kallsyms_path = "/proc/kallsyms";
    options.kernel_offsets = true;
    Symbolizer verbose(options);
    const uint64_t leaf[] = {*schedule + 0x10};
    auto frames = verbose.kernel_frames(leaf);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].name, "schedule+0x10");
    EXPECT_EQ(frames[0].module, "[kernel]");

    options.kernel_offsets = false;
    Symbolizer plain(options);
    frames = plain.kernel_frames(leaf);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].name, "schedule");
}
