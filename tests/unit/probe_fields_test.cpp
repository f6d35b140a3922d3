// Field resolution offline: tracepoint format files (text) and BTF signatures
// and members (the kernel's BTF file, read, nothing loaded).
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "core/probe_fields.h"

using namespace bpfscope;

namespace {

const char* kSchedSwitchFormat = R"(name: sched_switch
ID: 316
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
	field:int prev_prio;	offset:28;	size:4;	signed:1;
	field:long prev_state;	offset:32;	size:8;	signed:1;
	field:char next_comm[16];	offset:40;	size:16;	signed:0;
	field:pid_t next_pid;	offset:56;	size:4;	signed:1;
	field:const char * filename;	offset:64;	size:8;	signed:0;
	field:__data_loc char[] name;	offset:72;	size:4;	signed:0;

print fmt: "prev_comm=%s"
)";

ResolvedProbe tracepoint_probe() {
    ResolvedProbe probe;
    probe.spec = parse_probe_spec("t:sched:sched_switch");
    probe.name = "t:sched:sched_switch";
    probe.category = "sched";
    probe.event = "sched_switch";
    return probe;
}

FieldExpression field(const std::string& base, bool string = false) {
    FieldExpression expression;
    expression.base = base;
    expression.text = string ? "str(" + base + ")" : base;
    expression.string = string;
    return expression;
}

}  // namespace

TEST(TracepointFormat, ParsesOffsetsSizesSignsAndKinds) {
    auto fields = parse_tracepoint_format(kSchedSwitchFormat);
    ASSERT_EQ(fields.size(), 12u);
    EXPECT_TRUE(fields[0].common);
    const auto& prev_comm = fields[4];
    EXPECT_EQ(prev_comm.name, "prev_comm");
    EXPECT_TRUE(prev_comm.char_array);
    EXPECT_EQ(prev_comm.offset, 8u);
    EXPECT_EQ(prev_comm.size, 16u);
    const auto& prev_pid = fields[5];
    EXPECT_EQ(prev_pid.name, "prev_pid");
    EXPECT_EQ(prev_pid.type, "pid_t");
    EXPECT_EQ(prev_pid.offset, 24u);
    EXPECT_TRUE(prev_pid.is_signed);
    EXPECT_TRUE(fields[10].pointer);
    EXPECT_EQ(fields[10].name, "filename");
    EXPECT_TRUE(fields[11].data_loc);
    EXPECT_EQ(fields[11].name, "name");
    EXPECT_THROW(parse_tracepoint_format("no fields here"), UserError);
}

TEST(TracepointFormat, FieldsResolveToRecordReads) {
    ResolvedProbe probe = tracepoint_probe();
    FieldContext context;
    context.probe = &probe;
    context.tracepoint = parse_tracepoint_format(kSchedSwitchFormat);
    auto pid = resolve_field(field("prev_pid"), context);
    EXPECT_EQ(pid.recipe.source, PROBE_SOURCE_RECORD);
    EXPECT_EQ(pid.recipe.record_offset, 24u);
    EXPECT_EQ(pid.size, 4u);
    EXPECT_TRUE(pid.is_signed);
    EXPECT_FALSE(pid.string);
    auto comm = resolve_field(field("next_comm"), context);
    EXPECT_TRUE(comm.string);
    EXPECT_TRUE(comm.recipe.inline_string);
    EXPECT_EQ(comm.recipe.record_offset, 40u);
    auto name = resolve_field(field("name"), context);
    EXPECT_EQ(name.recipe.source, PROBE_SOURCE_DATA_LOC);
    EXPECT_TRUE(resolve_field(field("filename", true), context).string);
    EXPECT_EQ(resolve_field(field("pid"), context).recipe.source, PROBE_SOURCE_PID);
    // A field it does not have names those it has; str() of a number says so.
    try {
        resolve_field(field("nope"), context);
        FAIL();
    } catch (const UserError& error) {
        EXPECT_NE(std::string(error.what()).find("prev_pid"), std::string::npos) << error.what();
    }
    EXPECT_THROW(resolve_field(field("prev_pid", true), context), UserError);
    EXPECT_THROW(resolve_field(field("arg1"), context), UserError);
}

TEST(KernelBtf, SignatureNamesWidthsAndMembers) {
    if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
        GTEST_SKIP() << "no kernel BTF on this machine";
    const struct btf* btf = vmlinux_btf();
    ASSERT_NE(btf, nullptr);
    auto signature = kernel_function_signature(btf, "vfs_read");
    ASSERT_EQ(signature.parameters.size(), 4u);
    EXPECT_EQ(signature.parameters[0].name, "file");
    EXPECT_EQ(signature.parameters[0].type_name, "struct file *");
    EXPECT_EQ(signature.parameters[2].name, "count");
    EXPECT_EQ(btf_type_text(btf, signature.return_type_id), "ssize_t");
    EXPECT_THROW(kernel_function_signature(btf, "no_such_function_here"), UserError);

    ResolvedProbe probe;
    probe.spec = parse_probe_spec("r:vfs_read");
    probe.function = "vfs_read";
    probe.name = "r:vfs_read";
    FieldContext context;
    context.probe = &probe;
    context.btf = btf;
    auto count = resolve_field(field("arg3"), context);
    EXPECT_EQ(count.size, 8u);
    EXPECT_FALSE(count.is_signed);                                      // size_t
    EXPECT_EQ(resolve_field(field("count"), context).recipe.index, 2);  // by BTF name
    auto ret = resolve_field(field("retval"), context);
    EXPECT_TRUE(ret.is_signed);  // ssize_t
    // arg1->f_flags: one read at the member's offset, 4 bytes.
    FieldExpression flags = field("arg1");
    flags.members = {"f_flags"};
    flags.member_derefs = {true};
    flags.text = "arg1->f_flags";
    auto resolved = resolve_field(flags, context);
    EXPECT_EQ(resolved.recipe.steps, 1);
    EXPECT_EQ(resolved.size, 4u);
    EXPECT_GT(resolved.recipe.offsets[0], 0u);
    flags.members = {"no_such_member"};
    EXPECT_THROW(resolve_field(flags, context), UserError);
    EXPECT_THROW(resolve_field(field("arg3", true), context), UserError);  // str(size_t)
    EXPECT_THROW(resolve_field(field("arg5"), context), UserError);
}
