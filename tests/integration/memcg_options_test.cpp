// memcg's documented options, each checked by a run whose report changes when
// the option is ignored: --read-level, --cgroup, --no-workload, and the removal
// of a tree left by a SIGKILLed run. Reader-only runs (--no-trace) where the
// option is about the workload, so these stay short.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>

#include "memcg/cgroup_layout.h"
#include "support/background_process.h"
#include "support/preconditions.h"
#include "support/process.h"

using namespace bpfscope::memcg;
using bpfscope::test::BackgroundProcess;
using bpfscope::test::bin;
using bpfscope::test::run_process;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

json memcg_json(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {bin("bpfscope"), "memcg"});
    arguments.push_back("-j");
    auto result = run_process(arguments, 90s);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    if (result.exit_code != 0)
        return json::object();
    return json::parse(result.out);
}

const std::vector<std::string> kSmallReaderRun = {
    "--depth", "2",      "--width", "2",           "--writers", "1",         "--reads",
    "50",      "--runs", "1",       "--warmup-ms", "0",         "--no-trace"};

std::vector<std::string> small_run(std::vector<std::string> extra) {
    extra.insert(extra.begin(), kSmallReaderRun.begin(), kSmallReaderRun.end());
    return extra;
}

}  // namespace

TEST(MemcgOptions, ReadLevelPicksRootOrLeafOfTheTree) {
    BPFSCOPE_REQUIRE_ROOT("creates cgroups under the memory controller");
    // Depth 2: root is the tree's top, mid one level down, leaf two.
    for (auto [level, depth] : {std::pair{"root", 0L}, std::pair{"leaf", 2L}}) {
        SCOPED_TRACE(level);
        json report = memcg_json(small_run({"--read-level", level}));
        ASSERT_TRUE(report.contains("workload")) << report;
        const json& workload = report["workload"];
        EXPECT_EQ(workload["read_level"], level);
        std::string top = workload["tree_top"], path = workload["read_path"];
        ASSERT_EQ(path.rfind(top, 0), 0u) << path << " not under " << top;
        ASSERT_GE(path.size(), top.size() + std::string("/memory.stat").size());
        std::string below = path.substr(top.size(), path.size() - top.size() - 12);
        EXPECT_EQ(std::count(below.begin(), below.end(), '/'), depth) << path;
        EXPECT_EQ(report["runs"][0]["reads"], 50);
    }
    auto bad = run_process({bin("bpfscope"), "memcg", "--read-level", "middle", "--no-trace"});
    EXPECT_GT(bad.exit_code, 0) << bad.err;
    EXPECT_EQ(bad.signal, 0);
}

TEST(MemcgOptions, ExistingCgroupIsReadInsteadOfATree) {
    BPFSCOPE_REQUIRE_ROOT("creates a cgroup under the memory controller");
    MemoryController controller = locate_memory_controller();
    std::string name = "bpfscope-test-existing-" + std::to_string(getpid());
    std::string cgroup = controller.mount_point + "/" + name;
    ASSERT_EQ(mkdir(cgroup.c_str(), 0755), 0) << cgroup << ": " << strerror(errno);
    // An absolute path, and the same cgroup relative to the controller's mount.
    for (const std::string& given : {cgroup, "/" + name}) {
        SCOPED_TRACE(given);
        json report = memcg_json({"--cgroup", given, "--reads", "30", "--runs", "1", "--no-trace"});
        ASSERT_TRUE(report.contains("workload")) << report;
        EXPECT_EQ(report["workload"]["mode"], "cgroup");
        EXPECT_EQ(report["workload"]["read_path"], cgroup + "/memory.stat");
        EXPECT_EQ(report["workload"].value("tree_top", ""), "");
        EXPECT_EQ(report["runs"][0]["reads"], 30);
    }
    auto missing = run_process(
        {bin("bpfscope"), "memcg", "--cgroup", cgroup + "/nope", "--no-trace", "--reads", "10"});
    EXPECT_GT(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("cannot read " + cgroup + "/nope/memory.stat"), std::string::npos)
        << missing.err;
    EXPECT_EQ(rmdir(cgroup.c_str()), 0) << "the tool must leave an existing cgroup alone";
}

// --no-workload: nothing is created; the flush path is watched system-wide, so
// another process's memory.stat reads show up as flush attempts.
TEST(MemcgOptions, NoWorkloadWatchesTheSystem) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    MemoryController controller = locate_memory_controller();
    BackgroundProcess memcg({bin("bpfscope"), "memcg", "--no-workload", "-d", "60", "-j"});
    ASSERT_TRUE(memcg.wait_until_ready()) << memcg.output_so_far();
    auto reads = run_process({bin("readstats"), "--path", controller.mount_point + "/memory.stat",
                              "--count", "300", "--quiet"},
                             30s);
    ASSERT_EQ(reads.exit_code, 0) << reads.err;
    auto result = memcg.stop(SIGINT);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = json::parse(result.out);
    EXPECT_EQ(report["workload"]["mode"], "none");
    EXPECT_TRUE(report["runs"].empty()) << "no reader of its own";
    const json& flush = report["tracing"]["window"];
    ASSERT_TRUE(flush.is_object()) << report["tracing"];
    std::string text = report["tracing"].dump();
    std::smatch attempts;
    ASSERT_TRUE(std::regex_search(text, attempts, std::regex(R"("flush_attempts":(\d+))"))) << text;
    EXPECT_GE(std::stoull(attempts[1]), 300u) << "readstats read memory.stat 300 times";
}

TEST(MemcgOptions, TreeOfAKilledRunIsRemovedByTheNextRun) {
    BPFSCOPE_REQUIRE_ROOT("creates cgroups under the memory controller");
    BackgroundProcess killed({bin("bpfscope"), "memcg", "--reads", "100000000", "--no-trace",
                              "--depth", "2", "--width", "2", "--writers", "2", "-v"});
    ASSERT_TRUE(killed.wait_until_ready()) << killed.output_so_far();
    std::smatch match;
    std::string said = killed.output_so_far();
    ASSERT_TRUE(std::regex_search(said, match, std::regex("tree (\\S+) \\("))) << said;
    std::string top = match[1];
    auto result = killed.stop(SIGKILL);
    EXPECT_EQ(result.signal, SIGKILL);
    ASSERT_TRUE(exists(top)) << "SIGKILL leaves the tree behind: nothing to test";

    json report = memcg_json(small_run({}));
    ASSERT_TRUE(report.contains("notes")) << report;
    EXPECT_FALSE(exists(top)) << top << " still there after the next run";
    bool noted = false;
    for (const auto& note : report["notes"])
        noted =
            noted || note.get<std::string>().find("removed a tree left by a killed earlier run: " +
                                                  top) != std::string::npos;
    EXPECT_TRUE(noted) << report["notes"];
}
