// caps on this kernel: fentry/fexit refused (EPERM), kprobes not built in,
// everything else loads and attaches.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.h"

using bpfscope::test::bin;
using bpfscope::test::run_process;
using nlohmann::json;

TEST(Caps, ReportsWhatThisKernelAllows) {
    auto result = run_process({bin("bpfscope"), "caps", "-j"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = json::parse(result.out);
    EXPECT_EQ(report["tool"], "caps");
    EXPECT_TRUE(report["header"]["btf"].get<bool>());
    EXPECT_FALSE(report["header"]["kernel_release"].get<std::string>().empty());
    std::map<std::string, json> kinds;
    for (const auto& s : report["sections"]) kinds[s["title"]] = s["fields"];
    ASSERT_EQ(kinds.size(), 10u);
    for (const char* refused : {"fentry", "fexit"}) {
        EXPECT_EQ(kinds[refused]["status"], "refused") << refused;
        EXPECT_EQ(kinds[refused]["errno"], EPERM) << refused;
        EXPECT_NE(kinds[refused]["reason"].get<std::string>().find("EPERM"), std::string::npos);
    }
    for (const char* missing : {"kprobe", "kretprobe"}) {
        EXPECT_EQ(kinds[missing]["status"], "unavailable") << missing;
        EXPECT_NE(kinds[missing]["reason"].get<std::string>().find("not built into this kernel"),
                  std::string::npos);
    }
    for (const char* ok : {"uprobe", "uretprobe", "tracepoint", "raw_tp", "tp_btf", "perf_event"})
        EXPECT_EQ(kinds[ok]["status"], "ok") << ok << ": " << kinds[ok]["reason"];
}

TEST(Caps, TextOutputIsATableAndSymlinkWorks) {
    auto result = run_process({bin("caps")});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("fentry"), std::string::npos);
    EXPECT_NE(result.out.find("refused"), std::string::npos);
    EXPECT_NE(result.out.find("lockdown:"), std::string::npos);
}

TEST(Cli, UnknownToolAndBadOptionsFailClearly) {
    auto unknown = run_process({bin("bpfscope"), "nosuchtool"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown tool 'nosuchtool'"), std::string::npos);
    auto bad = run_process({bin("funclatency"), "-d", "-3", "vfs_read"});
    EXPECT_NE(bad.exit_code, 0);
    auto both_units = run_process({bin("funclatency"), "-m", "-u", "vfs_read"});
    EXPECT_NE(both_units.exit_code, 0);
    EXPECT_NE(both_units.err.find("-m and -u exclude each other"), std::string::npos);
}
