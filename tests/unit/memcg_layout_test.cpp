#include "memcg/cgroup_layout.h"
#include "memcg/cgroup_tree.h"

#include <gtest/gtest.h>

#include "base/error.h"

using namespace bpfscope::memcg;

namespace {

const char* kV1Host =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

const char* kV2Systemd =
    "25 20 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

std::string controllers_none(const std::string&) {
    return "cpu io pids\n";
}
std::string controllers_with_memory(const std::string&) {
    return "cpuset cpu io memory pids\n";
}

}  // namespace

TEST(MemcgMountinfo, ParsesOptionalFieldsAndEscapes) {
    auto mounts = parse_mountinfo(
        "40 31 0:37 / /sys/fs/cgroup/with\\040space rw shared:5 master:1 - cgroup cgroup "
        "rw,memory\nbroken line\n");
    ASSERT_EQ(mounts.size(), 1u);
    EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/with space");
    EXPECT_EQ(mounts[0].fs_type, "cgroup");
    EXPECT_EQ(mounts[0].super_options, "rw,memory");
    EXPECT_EQ(mounts[0].root, "/");
}

TEST(MemcgController, V1WhenCgroup2LacksMemory) {
    std::string why;
    auto controller = choose_memory_controller(parse_mountinfo(kV1Host), controllers_none, &why);
    ASSERT_TRUE(controller);
    EXPECT_EQ(controller->version, CgroupVersion::kV1);
    EXPECT_EQ(controller->mount_point, "/sys/fs/cgroup/memory");
}

TEST(MemcgController, V2WhenCgroup2HasMemory) {
    auto controller =
        choose_memory_controller(parse_mountinfo(kV2Systemd), controllers_with_memory, nullptr);
    ASSERT_TRUE(controller);
    EXPECT_EQ(controller->version, CgroupVersion::kV2);
    EXPECT_EQ(controller->mount_point, "/sys/fs/cgroup");
    // v2 wins over a v1 memory mount only when it really has the controller.
    auto hybrid =
        choose_memory_controller(parse_mountinfo(kV1Host), controllers_with_memory, nullptr);
    ASSERT_TRUE(hybrid);
    EXPECT_EQ(hybrid->version, CgroupVersion::kV2);
    EXPECT_EQ(hybrid->mount_point, "/sys/fs/cgroup/unified");
}

TEST(MemcgController, NoneExplainsWhy) {
    std::string why;
    auto controller = choose_memory_controller(
        parse_mountinfo("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
                        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"),
        controllers_none, &why);
    EXPECT_FALSE(controller);
    EXPECT_NE(why.find("/sys/fs/cgroup/unified"), std::string::npos) << why;
    EXPECT_NE(why.find("cgroup_disable=memory"), std::string::npos) << why;
}

TEST(MemcgController, BindMountedSubtreeIsOnlyAFallback) {
    auto mounts = parse_mountinfo(
        "50 40 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "51 40 0:32 / /host/memory rw - cgroup cgroup rw,memory\n");
    auto controller = choose_memory_controller(mounts, controllers_none, nullptr);
    ASSERT_TRUE(controller);
    EXPECT_EQ(controller->mount_point, "/host/memory");
}

TEST(MemcgReadLevel, ParsesNames) {
    EXPECT_EQ(parse_read_level("root"), ReadLevel::kRoot);
    EXPECT_EQ(parse_read_level("mid"), ReadLevel::kMid);
    EXPECT_EQ(parse_read_level("leaf"), ReadLevel::kLeaf);
    EXPECT_THROW(parse_read_level("top"), bpfscope::UserError);
    EXPECT_STREQ(read_level_name(ReadLevel::kMid), "mid");
}
