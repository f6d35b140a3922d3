// caps against the kernel's own facts: what it reports for fentry/fexit and
// kprobe/kretprobe must match what our own test programs (bpf/kernel_facts.bpf.c)
// can load and attach, and what /proc/config.gz and the kprobe PMU say. So the
// same test holds on this VM (fentry EPERM, no kprobes) and on a stock kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernel_facts.h"
#include "support/preconditions.h"
#include "support/process.h"

using bpfscope::test::bin;
using bpfscope::test::probe_independently;
using bpfscope::test::ProbeKind;
using bpfscope::test::run_process;
using nlohmann::json;

namespace {

// What caps must say for a kind, given our own attempt with the same kind.
void expect_matches_kernel(const json& fields, const char* kind,
                           const bpfscope::test::ProbeOutcome& own) {
    SCOPED_TRACE(std::string(kind) + ": caps says " + fields.dump() + "; our own program: loaded=" +
                 std::to_string(own.loaded) + " attached=" + std::to_string(own.attached) +
                 " errno=" + std::to_string(own.error));
    if (own.works()) {
        EXPECT_EQ(fields["status"], "ok");
        return;
    }
    EXPECT_NE(fields["status"], "ok");
    EXPECT_EQ(fields["errno"], own.error);
    std::string reason = fields["reason"];
    if (own.error == EPERM || own.error == EACCES) {
        EXPECT_EQ(fields["status"], "refused");
        EXPECT_NE(reason.find(strerrorname_np(own.error)), std::string::npos);
    }
}

}  // namespace

TEST(Caps, ReportsWhatThisKernelAllows) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto result = run_process({bin("bpfscope"), "caps", "-j"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = json::parse(result.out);
    EXPECT_EQ(report["tool"], "caps");
    EXPECT_TRUE(report["header"]["btf"].get<bool>());
    EXPECT_FALSE(report["header"]["kernel_release"].get<std::string>().empty());
    std::map<std::string, json> kinds;
    for (const auto& s : report["sections"]) kinds[s["title"]] = s["fields"];
    ASSERT_EQ(kinds.size(), 10u);
    expect_matches_kernel(kinds["fentry"], "fentry", probe_independently(ProbeKind::kFentry));
    expect_matches_kernel(kinds["fexit"], "fexit", probe_independently(ProbeKind::kFexit));
    expect_matches_kernel(kinds["kprobe"], "kprobe", probe_independently(ProbeKind::kKprobe));
    expect_matches_kernel(kinds["kretprobe"], "kretprobe",
                          probe_independently(ProbeKind::kKretprobe));

    // Kprobes: on a kernel built without them (CONFIG_KPROBES unset; without
    // /proc/config.gz: no kprobe PMU and ours fails) nothing can attach one, and
    // bpfscope must name the missing build option.
    bool own_kprobe = probe_independently(ProbeKind::kKprobe).works();
    auto config = bpfscope::test::kernel_config("CONFIG_KPROBES");
    bool not_built =
        config ? config->empty() : !bpfscope::test::kprobe_pmu_present() && !own_kprobe;
    if (not_built) {
        EXPECT_FALSE(own_kprobe) << "CONFIG_KPROBES unset, yet our kprobe attached";
        for (const char* missing : {"kprobe", "kretprobe"}) {
            EXPECT_EQ(kinds[missing]["status"], "unavailable") << missing;
            EXPECT_NE(
                kinds[missing]["reason"].get<std::string>().find("not built into this kernel"),
                std::string::npos)
                << kinds[missing];
        }
    }
    for (const char* ok : {"uprobe", "uretprobe", "tracepoint", "raw_tp", "tp_btf", "perf_event"})
        EXPECT_EQ(kinds[ok]["status"], "ok") << ok << ": " << kinds[ok]["reason"];
}

TEST(Caps, TextOutputIsATableAndSymlinkWorks) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto result = run_process({bin("caps")});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // The table row "  fentry  <status>  <errno>  <reason>" must agree with our own attempt.
    std::istringstream lines(result.out);
    std::string program, status, error;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream row(line);
        row >> program >> status >> error;
        if (program == "fentry")
            break;
    }
    ASSERT_EQ(program, "fentry") << result.out;
    const auto& own = probe_independently(ProbeKind::kFentry);
    EXPECT_EQ(status, own.works() ? "ok" : "refused") << result.out;
    EXPECT_EQ(error, own.works() ? "-" : strerrorname_np(own.error)) << result.out;
    EXPECT_NE(result.out.find("lockdown:"), std::string::npos);
}

TEST(Cli, UnknownToolAndBadOptionsFailClearly) {
    auto unknown = run_process({bin("bpfscope"), "nosuchtool"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown tool 'nosuchtool'"), std::string::npos);
    // A clean exit with a usage error: not a crash (exit_code -1 on a signal).
    auto bad = run_process({bin("bpfscope"), "funclatency", "-d", "-3", "vfs_read"});
    EXPECT_EQ(bad.signal, 0) << bad.err;
    EXPECT_GT(bad.exit_code, 0) << bad.err;
    // One line that names the option as it was given and what it expects.
    EXPECT_NE(bad.err.find("-d '-3': expected a number of seconds"), std::string::npos) << bad.err;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    auto both_units = run_process({bin("bpfscope"), "funclatency", "-m", "-u", "vfs_read"});
    EXPECT_EQ(both_units.signal, 0) << both_units.err;
    EXPECT_GT(both_units.exit_code, 0) << both_units.err;
    EXPECT_NE(both_units.err.find("-m and -u exclude each other"), std::string::npos);
}
