#include "core/probe_expression.h"

#include <gtest/gtest.h>

#include <limits>

#include "base/error.h"

using namespace bpfscope;

namespace {

// The message of the UserError `parse` throws ("" when it does not throw).
template <typename Parse>
std::string rejection(Parse&& parse) {
    try {
        parse();
    } catch (const UserError& error) {
        return error.what();
    }
    return "";
}

std::string field_error(const std::string& text) {
    return rejection([&] { parse_field_expression(text); });
}
std::string filter_error(const std::string& text) {
    return rejection([&] { parse_filter_expression(text); });
}
std::string format_error(const std::string& text) {
    return rejection([&] { parse_format(text); });
}

// Every message is one line.
void expect_one_line(const std::string& message) {
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace

TEST(ProbeField, PlainNames) {
    for (const char* name : {"arg1", "arg6", "retval", "ret", "comm", "pid", "tid", "cpu", "uid",
                             "cgroup", "prev_pid", "common_pid", "_x9"}) {
        auto field = parse_field_expression(name);
        EXPECT_EQ(field.base, name);
        EXPECT_TRUE(field.members.empty());
        EXPECT_FALSE(field.string);
        EXPECT_EQ(field.text, name);
    }
}

TEST(ProbeField, SurroundingSpacesAreIgnored) {
    auto field = parse_field_expression("  arg2\t");
    EXPECT_EQ(field.base, "arg2");
    EXPECT_EQ(field.text, "arg2");
}

TEST(ProbeField, MemberChainRecordsEachStepAndItsKind) {
    auto field = parse_field_expression("arg2->f_path.dentry->d_name");
    EXPECT_EQ(field.base, "arg2");
    EXPECT_EQ(field.members, (std::vector<std::string>{"f_path", "dentry", "d_name"}));
    EXPECT_EQ(field.member_derefs, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(field.text, "arg2->f_path.dentry->d_name");
    auto spaced = parse_field_expression("arg1 -> a . b");
    EXPECT_EQ(spaced.members, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(spaced.member_derefs, (std::vector<bool>{true, false}));
}

TEST(ProbeField, StrOfAFieldAndOfAMember) {
    auto plain = parse_field_expression("str(arg1)");
    EXPECT_TRUE(plain.string);
    EXPECT_EQ(plain.base, "arg1");
    EXPECT_EQ(plain.text, "str(arg1)");
    auto member = parse_field_expression("str( arg1->name )");
    EXPECT_TRUE(member.string);
    EXPECT_EQ(member.base, "arg1");
    EXPECT_EQ(member.members, (std::vector<std::string>{"name"}));
    EXPECT_EQ(member.text, "str( arg1->name )");
}

TEST(ProbeField, AFieldCalledStrIsStillAField) {
    auto field = parse_field_expression("str");
    EXPECT_EQ(field.base, "str");
    EXPECT_FALSE(field.string);
}

TEST(ProbeField, RejectionsNameTheProblem) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "empty field"},
        {"   ", "empty field"},
        {"1abc", "bad number"},
        {"42", "expected a field"},
        {"arg1->", "expected a member name after '->'"},
        {"arg1.", "expected a member name after '.'"},
        {"arg1->5", "expected a member name"},
        {"str(arg1", "expected ')'"},
        {"str()", "expected a field"},
        {"str(str(arg1))", "str(str(...)) is not supported"},
        {"str(arg1)->x", "member of str(...)"},
        {"len(arg1)", "only str(FIELD) is"},
        {"arg1 arg2", "unexpected 'arg2' after the field 'arg1'"},
        {"arg1 == 5", "unexpected '=='"},
        {"arg$", "unexpected '$'"},
        {"\"arg1\"", "expected a field"},
    };
    for (const auto& c : cases) {
        std::string message = field_error(c.text);
        expect_one_line(message);
        EXPECT_NE(message.find(c.says), std::string::npos)
            << "'" << c.text << "' gave: " << message;
    }
}

TEST(ProbeField, MessagesNameTheColumn) {
    EXPECT_NE(field_error("arg1->").find("(column 7)"), std::string::npos);
    EXPECT_NE(field_error("arg1 arg2").find("(column 6)"), std::string::npos);
}

TEST(ProbeFilter, EveryComparisonOperator) {
    struct Case {
        const char* text;
        CompareOp op;
    } cases[] = {{"arg1 == 5", CompareOp::kEq}, {"arg1 != 5", CompareOp::kNe},
                 {"arg1 < 5", CompareOp::kLt},  {"arg1 <= 5", CompareOp::kLe},
                 {"arg1 > 5", CompareOp::kGt},  {"arg1 >= 5", CompareOp::kGe}};
    for (const auto& c : cases) {
        auto filter = parse_filter_expression(c.text);
        ASSERT_EQ(filter.comparisons.size(), 1u) << c.text;
        EXPECT_EQ(filter.comparisons[0].op, c.op) << c.text;
        EXPECT_EQ(filter.comparisons[0].field.base, "arg1");
        EXPECT_EQ(std::get<uint64_t>(filter.comparisons[0].constant), 5u) << c.text;
        EXPECT_EQ(std::string(compare_op_text(c.op)) + " 5",
                  std::string(c.text).substr(5));  // the op text round-trips
    }
    EXPECT_STREQ(compare_op_text(CompareOp::kPrefix), "=~");
}

TEST(ProbeFilter, NoSpacesNeeded) {
    auto filter = parse_filter_expression("arg1>=5&&pid!=1");
    ASSERT_EQ(filter.comparisons.size(), 2u);
    EXPECT_EQ(filter.comparisons[0].op, CompareOp::kGe);
    EXPECT_EQ(filter.comparisons[1].field.base, "pid");
    EXPECT_EQ(filter.comparisons[1].op, CompareOp::kNe);
    EXPECT_EQ(std::get<uint64_t>(filter.comparisons[1].constant), 1u);
}

TEST(ProbeFilter, IntegerConstantsDecimalHexNegative) {
    auto constant = [](const std::string& text) {
        return parse_filter_expression("arg1 == " + text).comparisons.at(0).constant;
    };
    EXPECT_EQ(std::get<uint64_t>(constant("0")), 0u);
    EXPECT_EQ(std::get<uint64_t>(constant("42")), 42u);
    EXPECT_EQ(std::get<uint64_t>(constant("0x2a")), 42u);
    EXPECT_EQ(std::get<uint64_t>(constant("0X2A")), 42u);
    EXPECT_EQ(std::get<uint64_t>(constant("0xffffffffffffffff")), UINT64_MAX);
    EXPECT_EQ(std::get<uint64_t>(constant("18446744073709551615")), UINT64_MAX);
    EXPECT_EQ(std::get<int64_t>(constant("-1")), -1);
    EXPECT_EQ(std::get<int64_t>(constant("-0x10")), -16);
    EXPECT_EQ(std::get<int64_t>(constant("-9223372036854775808")),
              std::numeric_limits<int64_t>::min());
    auto spaced = parse_filter_expression("retval<-5").comparisons.at(0);
    EXPECT_EQ(spaced.op, CompareOp::kLt);
    EXPECT_EQ(std::get<int64_t>(spaced.constant), -5);
}

TEST(ProbeFilter, StringEqualityAndPrefix) {
    auto eq = parse_filter_expression("comm == \"bash\"").comparisons.at(0);
    EXPECT_EQ(eq.field.base, "comm");
    EXPECT_EQ(eq.op, CompareOp::kEq);
    EXPECT_EQ(std::get<std::string>(eq.constant), "bash");
    auto ne = parse_filter_expression("comm != \"sh\"").comparisons.at(0);
    EXPECT_EQ(ne.op, CompareOp::kNe);
    EXPECT_EQ(std::get<std::string>(ne.constant), "sh");
    auto prefix = parse_filter_expression("str(arg1) =~ \"/tmp/*\"").comparisons.at(0);
    EXPECT_TRUE(prefix.field.string);
    EXPECT_EQ(prefix.op, CompareOp::kPrefix);
    EXPECT_EQ(std::get<std::string>(prefix.constant), "/tmp/");  // the '*' is the operator's
    auto everything = parse_filter_expression("comm =~ \"*\"").comparisons.at(0);
    EXPECT_EQ(std::get<std::string>(everything.constant), "");
    auto escaped = parse_filter_expression(R"(str(arg1) == "a\"b\\c\n")").comparisons.at(0);
    EXPECT_EQ(std::get<std::string>(escaped.constant), "a\"b\\c\n");
    auto empty = parse_filter_expression("comm == \"\"").comparisons.at(0);
    EXPECT_EQ(std::get<std::string>(empty.constant), "");
}

TEST(ProbeFilter, FourComparisonsJoinedByAnd) {
    auto filter = parse_filter_expression(
        "arg1 > 5 && comm == \"probe_target\" && arg2->len <= 0x100 && str(arg3) =~ \"ab*\"");
    ASSERT_EQ(filter.comparisons.size(), 4u);
    EXPECT_EQ(filter.comparisons[0].field.text, "arg1");
    EXPECT_EQ(filter.comparisons[1].field.text, "comm");
    EXPECT_EQ(filter.comparisons[2].field.text, "arg2->len");
    EXPECT_EQ(filter.comparisons[2].field.members, (std::vector<std::string>{"len"}));
    EXPECT_EQ(std::get<uint64_t>(filter.comparisons[2].constant), 256u);
    EXPECT_EQ(filter.comparisons[3].field.text, "str(arg3)");
    EXPECT_EQ(std::get<std::string>(filter.comparisons[3].constant), "ab");
}

TEST(ProbeFilter, RejectionsNameTheProblemAndTheFix) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "empty filter"},
        {"arg1", "expected a comparison (== != < <= > >= =~) after 'arg1', found the end"},
        {"arg1 >", "expected a number or a \"string\" after '>', found the end"},
        {"arg1 = 5", "write '=='"},
        {"arg1 === 5", "'=' is not a comparison"},
        {"!arg1", "'!' alone is not supported"},
        {"arg1 > 5 || arg2 < 3", "only '&&'"},
        {"arg1 > 5 &&", "'&&' needs a comparison"},
        {"arg1 > 5 arg2 < 3", "expected '&&' or the end"},
        {"arg1 > 5 & arg2 < 3", "unexpected '&'"},
        {"(arg1 > 5)", "expected a field"},
        {"5 < arg1", "starts with the field"},
        {"arg1 > arg2", "compare a field with a number"},
        {"comm == bash", "compare a field with a number or a \"quoted string\""},
        {"comm == 'bash'", "double quotes"},
        {"comm == \"bash", "string not closed"},
        {"comm < \"bash\"", "strings compare with ==, != or =~"},
        {"comm =~ \"bash\"", "ends with '*'"},
        {"comm =~ \"b*sh*\"", "only a trailing '*'"},
        {"comm == \"ba*\"", "for a prefix write =~"},
        {"arg1 =~ 5", "matches a string prefix"},
        {"str(arg1) == \"a\\q\"", "unknown escape"},
        {"arg1 > 0x", "hex constants need digits"},
        {"arg1 > 0xfg", "bad number"},
        {"arg1 > 12ab", "bad number"},
        {"arg1 > 010", "ambiguous number"},
        {"arg1 > 18446744073709551616", "does not fit in 64 bits"},
        {"arg1 > -9223372036854775809", "does not fit in a signed 64-bit"},
        {"arg1 > 1.5", "only integer constants"},
        {"arg1 > 1 && arg2 > 2 && arg3 > 3 && arg4 > 4 && arg5 > 5", "5 comparisons, at most 4"},
    };
    for (const auto& c : cases) {
        std::string message = filter_error(c.text);
        expect_one_line(message);
        EXPECT_NE(message.find(c.says), std::string::npos)
            << "'" << c.text << "' gave: " << message;
        if (*c.text) {
            EXPECT_NE(message.find(std::string("filter '") + c.text + "'"), std::string::npos)
                << "the message quotes the filter: " << message;
        }
    }
}

TEST(ProbeFormat, ConversionsAndFields) {
    auto spec = parse_format("\"a=%d b=%d ret=%lld\", arg1, arg2, retval");
    ASSERT_EQ(spec.pieces.size(), 3u);
    EXPECT_EQ(spec.pieces[0].literal, "a=");
    EXPECT_EQ(spec.pieces[0].conversion, "d");
    EXPECT_EQ(spec.pieces[1].literal, " b=");
    EXPECT_EQ(spec.pieces[1].conversion, "d");
    EXPECT_EQ(spec.pieces[2].literal, " ret=");
    EXPECT_EQ(spec.pieces[2].conversion, "lld");
    ASSERT_EQ(spec.fields.size(), 3u);
    EXPECT_EQ(spec.fields[0].base, "arg1");
    EXPECT_EQ(spec.fields[1].base, "arg2");
    EXPECT_EQ(spec.fields[2].base, "retval");
}

TEST(ProbeFormat, EveryAcceptedConversion) {
    for (const char* conversion : {"d", "i", "u", "x", "X", "ld", "lu", "lx", "lld", "lli", "llu",
                                   "llx", "hd", "hhu", "s", "c", "p"}) {
        auto spec = parse_format(std::string("\"%") + conversion + "\", arg1");
        ASSERT_EQ(spec.pieces.size(), 1u) << conversion;
        EXPECT_EQ(spec.pieces[0].conversion, conversion);
        EXPECT_EQ(spec.pieces[0].literal, "");
    }
}

TEST(ProbeFormat, PercentEscapesTrailingTextAndMembers) {
    auto spec = parse_format(R"( "%s is 100%% \"done\" %llx\n", str(arg1->name), arg2->f.g )");
    ASSERT_EQ(spec.pieces.size(), 3u);
    EXPECT_EQ(spec.pieces[0].conversion, "s");
    EXPECT_EQ(spec.pieces[1].literal, " is 100% \"done\" ");
    EXPECT_EQ(spec.pieces[1].conversion, "llx");
    EXPECT_EQ(spec.pieces[2].literal, "\n");
    EXPECT_EQ(spec.pieces[2].conversion, "");
    ASSERT_EQ(spec.fields.size(), 2u);
    EXPECT_TRUE(spec.fields[0].string);
    EXPECT_EQ(spec.fields[0].members, (std::vector<std::string>{"name"}));
    EXPECT_EQ(spec.fields[1].text, "arg2->f.g");
    EXPECT_EQ(spec.fields[1].member_derefs, (std::vector<bool>{true, false}));
}

TEST(ProbeFormat, TextWithoutConversions) {
    auto spec = parse_format("\"hit\"");
    ASSERT_EQ(spec.pieces.size(), 1u);
    EXPECT_EQ(spec.pieces[0].literal, "hit");
    EXPECT_TRUE(spec.fields.empty());
    EXPECT_TRUE(parse_format("\"\"").pieces.empty());
}

TEST(ProbeFormat, RejectionsNameTheProblemAndTheFix) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "start with a quoted printf string"},
        {"%d, arg1", "start with a quoted printf string"},
        {"'%d', arg1", "start with a quoted printf string"},
        {"\"%d, arg1", "not closed"},
        {"\"%d\" arg1", "expected ',' after the printf string"},
        {"\"%d\",", "empty field between commas"},
        {"\"%d %d\", arg1,, arg2", "empty field between commas"},
        {"\"%d\", arg1 arg2", "field 'arg1 arg2': unexpected 'arg2'"},
        {"\"%d\", str(arg1", "expected ')'"},
        {"\"%d %d\", arg1", "2 conversion(s) but 1 field(s)"},
        {"\"%d\", arg1, arg2", "1 conversion(s) but 2 field(s)"},
        {"\"hit\", arg1", "0 conversion(s) but 1 field(s)"},
        {"\"%5d\", arg1", "widths and precisions"},
        {"\"%-d\", arg1", "widths and precisions"},
        {"\"%f\", arg1", "unknown conversion '%f'"},
        {"\"%lls\", arg1", "unknown conversion '%lls'"},
        {"\"%lllx\", arg1", "unknown conversion '%lllx'"},
        {"\"%q\", arg1", "unknown conversion '%q'"},
        {"\"100%\"", "has no conversion"},
        {"\"\\z\"", "unknown escape"},
    };
    for (const auto& c : cases) {
        std::string message = format_error(c.text);
        expect_one_line(message);
        EXPECT_NE(message.find(c.says), std::string::npos)
            << "'" << c.text << "' gave: " << message;
    }
}
