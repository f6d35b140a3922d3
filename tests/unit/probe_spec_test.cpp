// The probe grammar (core/probe_spec.h): every form, and one-line errors.
#include <gtest/gtest.h>

#include "base/error.h"
#include "core/probe_resolve.h"
#include "core/probe_spec.h"

using bpfscope::parse_probe_spec;
using bpfscope::ProbeSpec;
using bpfscope::UserError;
using Kind = ProbeSpec::Kind;

TEST(ProbeSpec, KernelFunctions) {
    auto entry = parse_probe_spec("vfs_read");
    EXPECT_EQ(entry.kind, Kind::kKernelEntry);
    EXPECT_EQ(entry.function, "vfs_read");
    EXPECT_FALSE(entry.wildcard());
    EXPECT_EQ(parse_probe_spec("p:vfs_read").kind, Kind::kKernelEntry);
    auto ret = parse_probe_spec("r:vfs_read");
    EXPECT_EQ(ret.kind, Kind::kKernelReturn);
    EXPECT_TRUE(ret.is_return());
    EXPECT_TRUE(parse_probe_spec("mem_cgroup_*").wildcard());
    EXPECT_EQ(parse_probe_spec("foo.isra.0").function, "foo.isra.0");
}

TEST(ProbeSpec, UserFunctions) {
    auto malloc = parse_probe_spec("c:malloc");
    EXPECT_EQ(malloc.kind, Kind::kUserEntry);
    EXPECT_EQ(malloc.binary, "c");
    EXPECT_EQ(malloc.function, "malloc");
    auto ret = parse_probe_spec("r:libc:malloc");
    EXPECT_EQ(ret.kind, Kind::kUserReturn);
    EXPECT_EQ(ret.binary, "libc");
    auto path = parse_probe_spec("/usr/bin/x:main");
    EXPECT_EQ(path.binary, "/usr/bin/x");
    EXPECT_EQ(path.function, "main");
    auto explicit_entry = parse_probe_spec("p:/a/b:f");
    EXPECT_EQ(explicit_entry.kind, Kind::kUserEntry);
    EXPECT_EQ(explicit_entry.binary, "/a/b");
    EXPECT_TRUE(parse_probe_spec("c:str*").wildcard());
    EXPECT_TRUE(parse_probe_spec("c:str*").is_user_function());
}

TEST(ProbeSpec, TracepointsAndUsdt) {
    auto tp = parse_probe_spec("t:sched:sched_switch");
    EXPECT_EQ(tp.kind, Kind::kTracepoint);
    EXPECT_EQ(tp.category, "sched");
    EXPECT_EQ(tp.event, "sched_switch");
    EXPECT_TRUE(parse_probe_spec("t:cgroup:*").wildcard());
    auto usdt = parse_probe_spec("u:/usr/bin/python3:python:function__entry");
    EXPECT_EQ(usdt.kind, Kind::kUsdt);
    EXPECT_EQ(usdt.binary, "/usr/bin/python3");
    EXPECT_EQ(usdt.provider, "python");
    EXPECT_EQ(usdt.name, "function__entry");
}

TEST(ProbeSpec, BadInputIsOneLine) {
    for (const char* text : {"", "t:sched", "t:a:b:c", "u:x:y", "c:", ":malloc", "vfs read",
                             "r:", "c*:malloc", "t:sch/ed:x", "bad-name"}) {
        try {
            parse_probe_spec(text);
            ADD_FAILURE() << "accepted '" << text << "'";
        } catch (const UserError& error) {
            std::string message = error.what();
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
            EXPECT_FALSE(message.empty());
        }
    }
}

TEST(ProbeResolve, GlobAndUsdtArguments) {
    EXPECT_TRUE(bpfscope::glob_match("mem_cgroup_*", "mem_cgroup_flush_stats"));
    EXPECT_FALSE(bpfscope::glob_match("mem_cgroup_*", "memcg_page_state"));
    EXPECT_TRUE(bpfscope::glob_match("str?en", "strlen"));
    auto reg = bpfscope::parse_usdt_argument("-4@%edi");
    EXPECT_EQ(reg.size, 4);
    EXPECT_TRUE(reg.is_signed);
    EXPECT_EQ(reg.kind, bpfscope::UsdtArgument::Kind::kRegister);
    EXPECT_EQ(reg.register_name, "rdi");
    auto memory = bpfscope::parse_usdt_argument("8@-16(%rbp)");
    EXPECT_EQ(memory.kind, bpfscope::UsdtArgument::Kind::kMemory);
    EXPECT_EQ(memory.value, -16);
    EXPECT_EQ(memory.register_name, "rbp");
    auto constant = bpfscope::parse_usdt_argument("4@$5");
    EXPECT_EQ(constant.kind, bpfscope::UsdtArgument::Kind::kConstant);
    EXPECT_EQ(constant.value, 5);
    EXPECT_THROW(bpfscope::parse_usdt_argument("garbage"), UserError);
}
