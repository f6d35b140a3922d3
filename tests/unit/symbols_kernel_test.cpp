// Kernel stack symbolization: kallsyms names, sym+off, trimming of the frames a BPF
// tool adds, unknown addresses.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "symbols/kallsyms.h"
#include "symbols/symbolizer.h"

using bpfscope::StackFrame;
using bpfscope::symbols::Kallsyms;
using bpfscope::symbols::Symbolizer;

namespace {

std::vector<std::string> names(const std::vector<StackFrame>& frames) {
    std::vector<std::string> out;
    for (const StackFrame& frame : frames) {
        out.push_back(frame.name);
    }
    return out;
}

// A small kallsyms file: a sched_switch tracepoint path with a BPF program on it.
class SymbolsKernelFake : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = ::testing::TempDir() + "symbols_kallsyms_" + std::to_string(getpid());
        std::ofstream out(path_);
        out << "ffffffff81000000 T _stext\n"
               "ffffffff81100000 T __schedule\n"
               "ffffffff81100800 T schedule\n"
               "ffffffff81100900 T schedule_hrtimeout_range\n"
               "ffffffff81200000 T __traceiter_sched_switch\n"
               "ffffffff81200100 t __bpf_trace_sched_switch\n"
               "ffffffff81200200 T bpf_trace_run4\n"
               "ffffffff81300000 D some_kernel_data\n"
               "ffffffffa0000000 t bpf_prog_6deef7357e7b4530_handle_switch\t[bpf]\n"
               "ffffffffa0010000 t ext4_file_read_iter\t[ext4]\n";
    }
    void TearDown() override { std::remove(path_.c_str()); }
    Symbolizer symbolizer(bool offsets, bool trim = true) {
        Symbolizer::Options options;
        options.kernel_offsets = offsets;
        options.trim_tool_frames = trim;
        options.kallsyms_path = path_;
        return Symbolizer(options);
    }
    std::string path_;
};

}  // namespace

TEST_F(SymbolsKernelFake, TrimsBpfProgramAndTracepointGlue) {
    Symbolizer kernel = symbolizer(true);
    const uint64_t stack[] = {
        0xffffffffa0000040,  // bpf_prog_..._handle_switch (calls bpf_get_stackid)
        0xffffffff81200250,  // bpf_trace_run4
        0xffffffff81200110,  // __bpf_trace_sched_switch
        0xffffffff81200020,  // __traceiter_sched_switch
        0xffffffff81100300,  // __schedule
        0xffffffff81100830,  // schedule
        0,                   // end of trace
        0xffffffff81100900,
    };
    auto frames = kernel.kernel_frames(stack);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"schedule+0x30", "__schedule+0x300"}));
    EXPECT_EQ(frames[0].module, "[kernel]");
    EXPECT_EQ(frames[0].kind, StackFrame::Kind::kKernel);
    EXPECT_EQ(frames[1].address, 0xffffffff81100300u);
    EXPECT_EQ(kernel.stats().trimmed_frames, 4u);
    EXPECT_EQ(kernel.stats().frames, 2u);
    EXPECT_EQ(kernel.stats().unknown_frames, 0u);

    Symbolizer untrimmed = symbolizer(false, false);
    EXPECT_EQ(untrimmed.kernel_frames(stack).size(), 6u);
}

TEST_F(SymbolsKernelFake, ReturnAddressAtFunctionStartBelongsToTheCaller) {
    // A non-leaf address is a return address: a call that is the last instruction of
    // __schedule returns to the first byte of schedule.
    Symbolizer kernel = symbolizer(true);
    const uint64_t stack[] = {0xffffffff81100900, 0xffffffff81100800};
    auto frames = kernel.kernel_frames(stack);
    EXPECT_EQ(names(frames),
              (std::vector<std::string>{"__schedule+0x800", "schedule_hrtimeout_range+0x0"}));
}

TEST_F(SymbolsKernelFake, UnknownAddressesModulesAndNoTrimWithoutToolFrames) {
    Symbolizer kernel = symbolizer(false);
    const uint64_t stack[] = {
        0xffffffff80000000,  // below every symbol
        0xffffffff81300010,  // data, not code
        0xffffffffa0010010,  // module function
    };
    auto frames = kernel.kernel_frames(stack);
    ASSERT_EQ(names(frames),
              (std::vector<std::string>{"ext4_file_read_iter", "[unknown]", "[unknown]"}));
    EXPECT_EQ(frames[0].module, "[ext4]");
    EXPECT_EQ(frames[2].address, 0xffffffff80000000u);
    EXPECT_EQ(kernel.stats().unknown_frames, 2u);
    EXPECT_EQ(kernel.stats().trimmed_frames, 0u);
}

// The same resolution against the live /proc/kallsyms needs its addresses,
// which a unit test (no privileges) cannot see: see
// integration/symbols_kernel_live_test.cpp.

TEST_F(SymbolsKernelFake, WholeStackIsUserThenSeparatorThenKernel) {
    Symbolizer symbols = symbolizer(false);
    const uint64_t kernel[] = {0xffffffff81100300, 0xffffffff81100830};
    const uint64_t user[] = {0x10};  // unmapped in any process: [unknown]
    const uint32_t pid = static_cast<uint32_t>(getpid());
    auto frames = symbols.stack(pid, user, kernel);
    ASSERT_EQ(names(frames),
              (std::vector<std::string>{"[unknown]", "-", "schedule", "__schedule"}));
    EXPECT_EQ(frames[0].kind, StackFrame::Kind::kUser);
    EXPECT_EQ(frames[1].kind, StackFrame::Kind::kSeparator);
    EXPECT_EQ(frames[2].kind, StackFrame::Kind::kKernel);
    EXPECT_EQ(names(symbols.stack(pid, {}, kernel)),
              (std::vector<std::string>{"schedule", "__schedule"}));
    EXPECT_EQ(names(symbols.stack(pid, user, kernel, false)),
              (std::vector<std::string>{"[unknown]", "schedule", "__schedule"}));
}
