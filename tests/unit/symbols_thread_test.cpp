// The Symbolizer is single-threaded by construction: the first thread to use
// it owns it, and a call from any other thread fails loudly (std::logic_error)
// instead of racing on its caches.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "symbols/symbolizer.h"

using bpfscope::symbols::Symbolizer;

namespace {

class SymbolizerThreads : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = ::testing::TempDir() + "symbols_thread_kallsyms_" + std::to_string(getpid());
        std::ofstream out(path_);
        out << "ffffffff81000000 T _stext\n"
               "ffffffff81100000 T schedule\n"
               "ffffffff81200000 T do_nanosleep\n";
    }
    void TearDown() override { std::remove(path_.c_str()); }
    Symbolizer make() {
        Symbolizer::Options options;
        options.kallsyms_path = path_;
        return Symbolizer(options);
    }
    // What a call from another thread does: "ok", or the logic_error's text.
    static std::string call_from_other_thread(Symbolizer& symbolizer) {
        std::string outcome;
        std::thread other([&] {
            try {
                const uint64_t stack[] = {0xffffffff81100010};
                symbolizer.kernel_frames(stack);
                outcome = "ok";
            } catch (const std::logic_error& e) {
                outcome = e.what();
            }
        });
        other.join();
        return outcome;
    }
    std::string path_;
};

const uint64_t kStack[] = {0xffffffff81100010, 0xffffffff81200020};

}  // namespace

TEST_F(SymbolizerThreads, ASecondThreadIsRefusedAndTheOwnerKeepsWorking) {
    Symbolizer symbolizer = make();
    ASSERT_EQ(symbolizer.kernel_frames(kStack).size(), 2u);  // binds this thread
    std::string outcome = call_from_other_thread(symbolizer);
    EXPECT_NE(outcome.find("does not own this Symbolizer"), std::string::npos) << outcome;
    // The refused call did no work: the owner's figures count its own frames only.
    EXPECT_EQ(symbolizer.kernel_frames(kStack).size(), 2u);
    EXPECT_EQ(symbolizer.stats().frames, 4u);
    // Every entry point is guarded, not only the kernel path.
    std::thread other([&] {
        EXPECT_THROW(symbolizer.stats(), std::logic_error);
        EXPECT_THROW(symbolizer.observe_process(getpid()), std::logic_error);
        EXPECT_THROW(symbolizer.user_frames(getpid(), kStack), std::logic_error);
        EXPECT_THROW(symbolizer.stack(getpid(), {}, kStack), std::logic_error);
        EXPECT_THROW(symbolizer.refresh_process(getpid()), std::logic_error);
        EXPECT_THROW(symbolizer.forget_process(getpid()), std::logic_error);
        EXPECT_THROW(symbolizer.release_thread(), std::logic_error);
    });
    other.join();
}

TEST_F(SymbolizerThreads, TheFirstUserOwnsItAndReleaseHandsItOver) {
    Symbolizer symbolizer = make();  // built here, first used by a worker
    EXPECT_EQ(call_from_other_thread(symbolizer), "ok");
    EXPECT_THROW(symbolizer.kernel_frames(kStack), std::logic_error);

    Symbolizer handed = make();
    ASSERT_EQ(handed.kernel_frames(kStack).size(), 2u);
    handed.release_thread();
    EXPECT_EQ(call_from_other_thread(handed), "ok");  // the worker owns it now
    EXPECT_THROW(handed.stats(), std::logic_error);
}

// A moved Symbolizer keeps its owner: moving is not a way around the check.
TEST_F(SymbolizerThreads, MovingKeepsTheOwner) {
    Symbolizer first = make();
    ASSERT_EQ(first.kernel_frames(kStack).size(), 2u);
    Symbolizer moved = std::move(first);
    EXPECT_NE(call_from_other_thread(moved), "ok");
    EXPECT_EQ(moved.kernel_frames(kStack).size(), 2u);
}
