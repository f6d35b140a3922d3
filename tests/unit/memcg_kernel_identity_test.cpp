#include "memcg/kernel_identity.h"
#include "memcg/kernel_tracing.h"
#include "symbols/kallsyms.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include "base/error.h"

using namespace bpfscope::memcg;

TEST(MemcgKernelConfig, KeepsPrefixedOptionsAndNotSet) {
    const char* text =
        "#\n# Automatically generated file\n"
        "CONFIG_MEMCG=y\n"
        "CONFIG_MEMCG_V1=y\n"
        "# CONFIG_MEMCG_KMEM is not set\n"
        "CONFIG_MEMCG_NAME=\"patched\"\n"
        "CONFIG_CGROUPS=y\n"
        "CONFIG_MEMORY_HOTPLUG=y\n";
    auto options = parse_kernel_config(text, "CONFIG_MEMCG");
    ASSERT_EQ(options.size(), 4u);
    EXPECT_EQ(options["CONFIG_MEMCG"], "y");
    EXPECT_EQ(options["CONFIG_MEMCG_V1"], "y");
    EXPECT_EQ(options["CONFIG_MEMCG_KMEM"], "n");
    EXPECT_EQ(options["CONFIG_MEMCG_NAME"], "patched");
    EXPECT_EQ(options.count("CONFIG_CGROUPS"), 0u);
}

TEST(MemcgKernelConfig, ReadsGzip) {
    char path[] = "/tmp/bpfscope-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    gzFile file = gzopen(path, "wb");
    ASSERT_NE(file, nullptr);
    std::string text = "CONFIG_MEMCG=y\n# CONFIG_MEMCG_V1 is not set\n";
    gzwrite(file, text.data(), unsigned(text.size()));
    gzclose(file);
    auto options = parse_kernel_config(read_gzip_file(path), "CONFIG_MEMCG");
    unlink(path);
    EXPECT_EQ(options["CONFIG_MEMCG"], "y");
    EXPECT_EQ(options["CONFIG_MEMCG_V1"], "n");
    EXPECT_THROW(read_gzip_file("/nonexistent/config.gz"), bpfscope::UserError);
}

TEST(MemcgBootParameters, KeepsMemcgRelevantOnesOnly) {
    auto kept = memcg_boot_parameters(
        "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro cgroup_disable=memory quiet "
        "systemd.unified_cgroup_hierarchy=0 cgroup.memory=nokmem,nosocket "
        "dyndbg=\"file memcontrol.c +p\" cgroup_no_v1=all swapaccount=1 "
        "-- cgroup_disable=ignored_after_dashes");
    std::vector<std::string> expected = {
        "cgroup_disable=memory", "systemd.unified_cgroup_hierarchy=0",
        "cgroup.memory=nokmem,nosocket", "cgroup_no_v1=all", "swapaccount=1"};
    EXPECT_EQ(kept, expected);
    EXPECT_TRUE(memcg_boot_parameters("console=ttyS0 quiet").empty());
    EXPECT_TRUE(memcg_boot_parameters("").empty());
}

TEST(MemcgBootParameters, QuotedValuesStayOneWord) {
    auto kept = memcg_boot_parameters("memcg.flush=\"a b\" quiet");
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0], "memcg.flush=a b");
}

TEST(MemcgImplementation, Classifies) {
    EXPECT_EQ(classify_stats_implementation(
                  {"css_rstat_flush", "mem_cgroup_css_rstat_flush", "memory_stat_show"})
                  .kind,
              "rstat");
    EXPECT_EQ(
        classify_stats_implementation({"cgroup_rstat_flush", "mem_cgroup_css_rstat_flush"}).kind,
        "rstat");
    auto atomic =
        classify_stats_implementation({"memcg_atomic_walk", "css_atomic_add", "memory_stat_show"});
    EXPECT_EQ(atomic.kind, "atomic");
    EXPECT_EQ(atomic.atomic_symbols,
              (std::vector<std::string>{"memcg_atomic_walk", "css_atomic_add"}));
    EXPECT_EQ(classify_stats_implementation({"css_rstat_flush", "mem_cgroup_css_rstat_flush",
                                             "memcg_page_state_atomic_counter_recursive"})
                  .kind,
              "both");
    EXPECT_EQ(classify_stats_implementation({"memory_stat_show"}).kind, "unknown");
    // The generic flush alone (no memcg callback) is not memcg's rstat.
    EXPECT_EQ(classify_stats_implementation({"css_rstat_flush"}).kind, "unknown");
}

TEST(MemcgImplementation, KallsymsParsingStripsSuffixesAndKeepsText) {
    auto names = bpfscope::symbols::Kallsyms::from_text(
                     "ffffffff81000000 T _stext\n"
                     "ffffffff81234560 t mem_cgroup_css_rstat_flush.isra.0\n"
                     "ffffffff81234570 T css_rstat_flush\n"
                     "ffffffff82000000 D some_data\n"
                     "ffffffffc0000000 t memcg_atomic_walk\t[patched_mod]\n")
                     .function_names();
    EXPECT_TRUE(names.count("mem_cgroup_css_rstat_flush"));
    EXPECT_TRUE(names.count("css_rstat_flush"));
    EXPECT_TRUE(names.count("memcg_atomic_walk"));
    EXPECT_FALSE(names.count("some_data"));
    EXPECT_EQ(classify_stats_implementation(names).kind, "both");
}

TEST(MemcgFunctionPreset, ResolvesAliasesAndListsAbsentOnes) {
    auto kallsyms = bpfscope::symbols::Kallsyms::from_text(
        "ffffffff81000010 T memory_stat_show\n"
        "ffffffff81000020 T mem_cgroup_flush_stats\n"
        "ffffffff81000030 t __mem_cgroup_flush_stats\n"
        "ffffffff81000040 T cgroup_rstat_flush\n"
        "ffffffff81000050 t mem_cgroup_css_rstat_flush.isra.0\n"
        "ffffffff81000060 T memcg_page_state\n"
        "ffffffff81000070 T css_atomic_walk_batch\n");
    auto functions = resolve_function_preset(kallsyms);
    auto find = [&](const std::string& label) -> const ResolvedFunction* {
        for (const auto& f : functions)
            if (f.label == label)
                return &f;
        return nullptr;
    };
    ASSERT_TRUE(find("do_flush_stats|__mem_cgroup_flush_stats"));
    EXPECT_EQ(find("do_flush_stats|__mem_cgroup_flush_stats")->resolved,
              "__mem_cgroup_flush_stats");
    EXPECT_EQ(find("css_rstat_flush|cgroup_rstat_flush")->resolved, "cgroup_rstat_flush");
    EXPECT_EQ(find("mem_cgroup_css_rstat_flush")->resolved.rfind("mem_cgroup_css_rstat_flush", 0),
              0u);
    ASSERT_TRUE(find("memcg_atomic_walk"));
    EXPECT_TRUE(find("memcg_atomic_walk")->resolved.empty());
    EXPECT_NE(find("memcg_atomic_walk")->absent_reason.find("kallsyms"), std::string::npos);
    ASSERT_TRUE(find("css_atomic_walk_batch"));
    EXPECT_EQ(find("css_atomic_walk_batch")->side, "atomic");
    EXPECT_FALSE(find("css_atomic_*"));
    EXPECT_TRUE(find("memcg_stat_show")->resolved.empty());
}
