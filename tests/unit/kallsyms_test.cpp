#include "symbols/kallsyms.h"

#include <gtest/gtest.h>

using bpfscope::symbols::Kallsyms;

namespace {
const char* kSample =
    "ffffffff81000000 T _stext\n"
    "ffffffff81001000 t mem_cgroup_flush_stats\n"
    "ffffffff81001100 t __mem_cgroup_flush_stats\n"
    "ffffffff81002000 T css_rstat_flush\n"
    "ffffffff81003000 t do_flush_stats.isra.0\n"
    "ffffffff81004000 D some_data\n"
    "ffffffffc0001000 t nf_hook\t[nf_tables]\n";
}

TEST(Kallsyms, LooksUpNamesAndFunctions) {
    auto k = Kallsyms::from_text(kSample);
    EXPECT_TRUE(k.contains("css_rstat_flush"));
    EXPECT_TRUE(k.contains_function("css_rstat_flush"));
    EXPECT_FALSE(k.contains_function("some_data"));  // data, not code
    EXPECT_FALSE(k.contains("cgroup_rstat_flush"));
    EXPECT_EQ(k.address("mem_cgroup_flush_stats"), 0xffffffff81001000ull);
}

TEST(Kallsyms, ResolvesAddressesToSymbolPlusOffset) {
    auto k = Kallsyms::from_text(kSample);
    auto r = k.resolve(0xffffffff81001010ull);
    ASSERT_NE(r.symbol, nullptr);
    EXPECT_EQ(r.symbol->name, "mem_cgroup_flush_stats");
    EXPECT_EQ(r.offset, 0x10u);
    auto module = k.resolve(0xffffffffc0001004ull);
    ASSERT_NE(module.symbol, nullptr);
    EXPECT_EQ(module.symbol->module, "nf_tables");
    EXPECT_EQ(k.resolve(0x1000).symbol, nullptr);
}

TEST(Kallsyms, SuggestsSimilarNamesAndClones) {
    auto k = Kallsyms::from_text(kSample);
    auto similar = k.similar("mem_cgroup_flush_statz", 5);
    ASSERT_FALSE(similar.empty());
    EXPECT_EQ(similar.front(), "mem_cgroup_flush_stats");
    auto renamed = k.similar("cgroup_rstat_flush", 5);
    EXPECT_NE(std::find(renamed.begin(), renamed.end(), "css_rstat_flush"), renamed.end());
    auto clones = k.clones_of("do_flush_stats");
    ASSERT_EQ(clones.size(), 1u);
    EXPECT_EQ(clones[0], "do_flush_stats.isra.0");
}

TEST(Kallsyms, ZeroAddressesMeanNoAddressLookups) {
    auto k = Kallsyms::from_text("0000000000000000 T vfs_read\n");
    EXPECT_TRUE(k.contains_function("vfs_read"));
    EXPECT_FALSE(k.has_addresses());
    EXPECT_EQ(k.resolve(0x1234).symbol, nullptr);
}

TEST(Kallsyms, FunctionNamesAreTextSymbolsWithoutCloneSuffixes) {
    auto names = Kallsyms::from_text(kSample).function_names();
    EXPECT_TRUE(names.count("do_flush_stats"));  // "do_flush_stats.isra.0"
    EXPECT_FALSE(names.count("do_flush_stats.isra.0"));
    EXPECT_TRUE(names.count("nf_hook"));  // module functions too
    EXPECT_FALSE(names.count("some_data"));
    EXPECT_EQ(names.size(), 6u);
}
