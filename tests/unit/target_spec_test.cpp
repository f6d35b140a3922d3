#include "core/target_spec.h"

#include <gtest/gtest.h>

#include "base/error.h"

using bpfscope::parse_target;
using bpfscope::TargetSpec;
using bpfscope::UserError;

TEST(TargetSpec, KernelFunction) {
    auto spec = parse_target("mem_cgroup_flush_stats");
    EXPECT_EQ(spec.type, TargetSpec::Type::kKernelFunction);
    EXPECT_EQ(spec.function, "mem_cgroup_flush_stats");
    EXPECT_EQ(spec.text, "mem_cgroup_flush_stats");
}

TEST(TargetSpec, CompilerCloneIsAKernelFunction) {
    EXPECT_EQ(parse_target("foo.isra.0").function, "foo.isra.0");
}

TEST(TargetSpec, UserFunctionWithPathOrLibrary) {
    auto path = parse_target("/usr/bin/bash:readline");
    EXPECT_EQ(path.type, TargetSpec::Type::kUserFunction);
    EXPECT_EQ(path.binary, "/usr/bin/bash");
    EXPECT_EQ(path.function, "readline");
    auto library = parse_target("c:malloc");
    EXPECT_EQ(library.binary, "c");
    EXPECT_EQ(library.function, "malloc");
}

TEST(TargetSpec, TracepointBracket) {
    auto spec = parse_target("cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock");
    EXPECT_EQ(spec.type, TargetSpec::Type::kTracepointBracket);
    EXPECT_EQ(spec.start_category, "cgroup");
    EXPECT_EQ(spec.start_event, "cgroup_rstat_locked");
    EXPECT_EQ(spec.end_category, "cgroup");
    EXPECT_EQ(spec.end_event, "cgroup_rstat_unlock");
}

TEST(TargetSpec, MalformedTargetsAreRejectedWithAReason) {
    for (const char* bad : {"", "a..", "..b:c", "cgroup..cgroup:x", "a:b:c..d:e", "/bin/x:", ":f",
                            "bad name", "1abc", "x:f(y)"}) {
        try {
            parse_target(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const UserError& error) {
            EXPECT_FALSE(std::string(error.what()).empty());
        }
    }
}
