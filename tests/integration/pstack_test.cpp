// pstack against a live workload with known call chains, and against eu-stack
// (elfutils' own pstack) on the same process: the same return addresses, thread by
// thread. The target must run on afterwards, never left stopped, even when pstack
// is killed while it holds a thread.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/background_process.h"
#include "support/preconditions.h"
#include "support/process.h"

namespace {

using bpfscope::test::BackgroundProcess;
using bpfscope::test::bin;
using bpfscope::test::run_process;
using json = nlohmann::json;
using namespace std::chrono_literals;

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::vector<int> threads_of(int pid) {
    std::vector<int> tids;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path("/proc") /
                                                                 std::to_string(pid) / "task"))
        tids.push_back(std::stoi(entry.path().filename()));
    return tids;
}

// A status line's value ("State:", "TracerPid:") of one thread.
std::string status_field(int pid, int tid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) {
            auto value = line.substr(key.size());
            return value.substr(value.find_first_not_of(" \t"));
        }
    return "";
}

// Waits until every thread of pid sleeps (the main thread in its pipe read, the
// workers in nanosleep): their stacks are then the known ones.
bool wait_until_blocked(int pid, size_t threads) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto tids = threads_of(pid);
        size_t sleeping = 0;
        for (int tid : tids) sleeping += status_field(pid, tid, "State:").rfind("S", 0) == 0;
        std::string main_wait = read_line("/proc/" + std::to_string(pid) + "/wchan");
        if (tids.size() == threads && sleeping == threads &&
            main_wait.find("pipe_read") != std::string::npos)
            return true;
        std::this_thread::sleep_for(5ms);
    }
    return false;
}

struct Frame {
    std::string address;  // "(inlined)" for an inlined frame
    std::string function;
};

// tid -> user frames (leaf first) and kernel frames, from `pstack -j`.
struct ThreadFrames {
    std::vector<Frame> user;
    std::vector<std::string> kernel;
    std::string state;
    std::vector<std::string> notes;
};

std::map<int, ThreadFrames> parse_pstack(const std::string& text) {
    std::map<int, ThreadFrames> threads;
    json doc = json::parse(text);
    for (const auto& section : doc["sections"]) {
        ThreadFrames frames;
        frames.state = section["fields"]["state"];
        for (const auto& note : section["notes"]) frames.notes.push_back(note);
        for (const auto& table : section["tables"]) {
            for (const auto& row : table["rows"]) {
                if (table["title"] == "user stack")
                    frames.user.push_back({row[1], row[2]});
                else
                    frames.kernel.push_back(row[1]);
            }
        }
        threads[section["fields"]["tid"].get<int>()] = frames;
    }
    return threads;
}

// eu-stack's "TID n:" blocks: tid -> return addresses, leaf first.
std::map<int, std::vector<std::string>> parse_eu_stack(const std::string& text) {
    std::map<int, std::vector<std::string>> threads;
    std::istringstream in(text);
    std::string line;
    int tid = 0;
    std::smatch match;
    while (std::getline(in, line)) {
        if (std::regex_search(line, match, std::regex(R"(^TID (\d+):)")))
            tid = std::stoi(match[1]);
        else if (tid && std::regex_search(line, match, std::regex(R"(^#\d+\s+(0x[0-9a-f]+))")))
            threads[tid].push_back(match[1]);
    }
    return threads;
}

std::vector<std::string> real_addresses(const std::vector<Frame>& frames) {
    std::vector<std::string> addresses;
    for (const auto& frame : frames)
        if (frame.address != "(inlined)")
            addresses.push_back(frame.address);
    return addresses;
}

// The position of the first frame whose name contains `name`, at or after `from`.
size_t find_frame(const std::vector<Frame>& frames, const std::string& name, size_t from = 0) {
    for (size_t i = from; i < frames.size(); ++i)
        if (frames[i].function.find(name) != std::string::npos)
            return i;
    return std::string::npos;
}

void expect_running_on(int pid) {
    for (int tid : threads_of(pid)) {
        EXPECT_EQ(status_field(pid, tid, "TracerPid:"), "0") << "thread " << tid << " still traced";
        std::string state = status_field(pid, tid, "State:");
        EXPECT_TRUE(state.rfind("S", 0) == 0 || state.rfind("R", 0) == 0)
            << "thread " << tid << " left in state " << state;
    }
}

TEST(Pstack, KnownChainsThroughLibcMatchEuStack) {
    BPFSCOPE_REQUIRE_ROOT("reads other processes' stacks with ptrace");
    BPFSCOPE_REQUIRE_PROGRAM("eu-stack");
    BackgroundProcess target({bin("pstack_target"), "3"});
    ASSERT_TRUE(target.wait_for_output("ready")) << target.output_so_far();
    ASSERT_TRUE(wait_until_blocked(target.pid(), 4));

    auto ours = run_process({bin("bpfscope"), "pstack", std::to_string(target.pid()), "-j"});
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    auto reference = run_process({"eu-stack", "-p", std::to_string(target.pid())});
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    auto threads = parse_pstack(ours.out);
    auto eu = parse_eu_stack(reference.out);
    ASSERT_EQ(threads.size(), 4u) << ours.out;
    ASSERT_EQ(eu.size(), 4u) << reference.out;

    for (const auto& [tid, frames] : threads) {
        SCOPED_TRACE("thread " + std::to_string(tid));
        // The same unwind as elfutils' own tool, frame for frame.
        EXPECT_EQ(real_addresses(frames.user), eu[tid]) << ours.out << "\n" << reference.out;
        if (tid == target.pid()) {
            // Leaf in libc's read; then its caller, which a frame-pointer unwinder loses
            // (libc keeps no frame pointer): the inlined wait_for_request in serve().
            size_t read = find_frame(frames.user, "read");
            size_t inlined = find_frame(frames.user, "pstackwork::Server::wait_for_request()");
            size_t serve = find_frame(frames.user, "pstackwork::Server::serve()");
            size_t main = find_frame(frames.user, "main");
            ASSERT_EQ(read, 0u) << ours.out;
            ASSERT_NE(inlined, std::string::npos) << ours.out;
            EXPECT_EQ(frames.user[inlined].address, "(inlined)");
            EXPECT_EQ(serve, inlined + 1) << ours.out;
            EXPECT_EQ(main, serve + 1) << ours.out;
            ASSERT_FALSE(frames.kernel.empty());
            EXPECT_NE(frames.kernel.front().find("pipe_read"), std::string::npos)
                << "kernel leaf: " << frames.kernel.front();
        } else {
            size_t sleep = find_frame(frames.user, "nanosleep");
            size_t idle = find_frame(frames.user, "pstackwork::Worker::idle()");
            EXPECT_EQ(sleep, 0u) << ours.out;
            ASSERT_NE(idle, std::string::npos) << ours.out;
            EXPECT_NE(find_frame(frames.user, "worker_main", idle), std::string::npos);
            ASSERT_FALSE(frames.kernel.empty());
            EXPECT_NE(frames.kernel.front().find("nanosleep"), std::string::npos)
                << "kernel leaf: " << frames.kernel.front();
        }
    }
    expect_running_on(target.pid());

    // --tid, -U and -K select threads and stacks.
    std::string worker = std::to_string(threads.rbegin()->first);
    auto one = run_process(
        {bin("bpfscope"), "pstack", std::to_string(target.pid()), "--tid", worker, "-U", "-j"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    auto only = parse_pstack(one.out);
    ASSERT_EQ(only.size(), 1u);
    EXPECT_FALSE(only.begin()->second.user.empty());
    EXPECT_TRUE(only.begin()->second.kernel.empty());
    auto kernel =
        run_process({bin("bpfscope"), "pstack", std::to_string(target.pid()), "-K", "-j"});
    ASSERT_EQ(kernel.exit_code, 0) << kernel.err;
    for (const auto& [tid, frames] : parse_pstack(kernel.out)) {
        EXPECT_TRUE(frames.user.empty()) << tid;
        EXPECT_FALSE(frames.kernel.empty()) << tid;
    }
    // -v adds file:line to user frames.
    auto verbose = run_process({bin("bpfscope"), "pstack", std::to_string(target.pid()), "-v"});
    ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
    EXPECT_NE(verbose.out.find("pstack_target.cpp:"), std::string::npos) << verbose.out;
    expect_running_on(target.pid());
}

// Killed (SIGKILL: no cleanup of its own) while it holds a thread, pstack leaves
// every thread running: PTRACE_SEIZE sends no SIGSTOP that could outlive it.
TEST(Pstack, KilledWhileHoldingAThreadLeavesTheTargetRunning) {
    BPFSCOPE_REQUIRE_ROOT("reads other processes' stacks with ptrace");
    BackgroundProcess target({bin("pstack_target"), "50"});
    ASSERT_TRUE(target.wait_for_output("ready")) << target.output_so_far();
    ASSERT_TRUE(wait_until_blocked(target.pid(), 51));
    int caught = 0;
    for (int attempt = 0; attempt < 20 && caught < 3; ++attempt) {
        BackgroundProcess pstack({bin("bpfscope"), "pstack", std::to_string(target.pid())});
        // Catch it while a thread is held (TracerPid set), then kill it at once.
        bool holding = false;
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!holding && std::chrono::steady_clock::now() < deadline &&
               !pstack.exited_within(0ms)) {
            for (int tid : threads_of(target.pid()))
                if (status_field(target.pid(), tid, "TracerPid:") != "0") {
                    holding = true;
                    break;
                }
        }
        pstack.signal(SIGKILL);
        pstack.wait();
        caught += holding;
        ASSERT_TRUE(wait_until_blocked(target.pid(), 51))
            << "the target did not go back to its waits";
        expect_running_on(target.pid());
    }
    EXPECT_GE(caught, 1) << "never caught pstack holding a thread";
}

TEST(Pstack, KernelThreadZombieAndMissingProcessAreNamed) {
    BPFSCOPE_REQUIRE_ROOT("reads other processes' stacks with ptrace");
    // A kernel thread: its kernel stack, and why there is no user stack.
    auto kthread = run_process({bin("bpfscope"), "pstack", "2", "-j"});
    ASSERT_EQ(kthread.exit_code, 0) << kthread.err;
    auto threads = parse_pstack(kthread.out);
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_FALSE(threads[2].kernel.empty());
    ASSERT_EQ(threads[2].notes.size(), 1u);
    EXPECT_NE(threads[2].notes[0].find("kernel thread"), std::string::npos);

    // A zombie: one line, non-zero exit.
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    while (read_line("/proc/" + std::to_string(child) + "/stat").find(") Z") == std::string::npos)
        std::this_thread::sleep_for(1ms);
    auto zombie = run_process({bin("bpfscope"), "pstack", std::to_string(child)});
    waitpid(child, nullptr, 0);
    EXPECT_NE(zombie.exit_code, 0);
    EXPECT_NE(zombie.err.find("zombie"), std::string::npos) << zombie.err;
    EXPECT_EQ(std::count(zombie.err.begin(), zombie.err.end(), '\n'), 1) << zombie.err;

    // A pid that is gone (the reaped zombie), and a thread of another process.
    auto gone = run_process({bin("bpfscope"), "pstack", std::to_string(child)});
    EXPECT_NE(gone.exit_code, 0);
    EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
    auto stranger =
        run_process({bin("bpfscope"), "pstack", std::to_string(getpid()), "--tid", "1"});
    EXPECT_NE(stranger.exit_code, 0);
    EXPECT_NE(stranger.err.find("not a thread of process"), std::string::npos) << stranger.err;
    auto missing = run_process({bin("bpfscope"), "pstack"});
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
}

}  // namespace
