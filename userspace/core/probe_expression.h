#pragma once
// The expression grammar of the probe tools (pure parsing: no kernel, no BTF).
//   FIELD   := NAME [ ('->' | '.') MEMBER ]...      arg1, retval, ret, comm, pid,
//              | 'str(' FIELD ')'                     tid, cpu, uid, cgroup, arg2->f_path.dentry,
//                                                     a tracepoint field (prev_pid)
//   FILTER  := CMP [ '&&' CMP ]...                    at most 4 comparisons
//   CMP     := FIELD OP CONST                        OP: == != < <= > >=
//              | FIELD '==' "STRING" | FIELD '!=' "STRING"
//              | FIELD '=~' "PREFIX*"               string prefix match
//   FORMAT  := '"' printf text '"' [ ',' FIELD ]...  %d %i %u %x %lld %llu %llx %s %c %p %%
// What a FIELD means for one probe (its offset, width, sign) is resolved by the
// probe engine (core/probe_fields.h), not here.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace bpfscope {

struct FieldExpression {
    std::string base;                  // "arg1", "retval", "comm", "prev_pid", ...
    std::vector<std::string> members;  // arg1->a.b: {"a", "b"} (each '->' or '.' is one step)
    std::vector<bool> member_derefs;   // per member: true for '->', false for '.'
    bool string = false;               // str(...)
    std::string text;                  // as written, for titles and errors
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kPrefix };

struct Comparison {
    FieldExpression field;
    CompareOp op = CompareOp::kEq;
    // Integer constants keep their sign as written; strings for ==, != and prefix.
    std::variant<int64_t, uint64_t, std::string> constant;
};

struct FilterExpression {
    std::vector<Comparison> comparisons;  // joined by &&; empty: no filter
};

struct FormatSpec {
    struct Piece {
        std::string literal;     // text before the conversion
        std::string conversion;  // "d", "u", "x", "lld", "s", ... empty for trailing text
    };
    std::vector<Piece> pieces;
    std::vector<FieldExpression> fields;  // one per conversion, in order
};

constexpr size_t kMaxFilterComparisons = 4;

// Each throws UserError with one line naming what is wrong and where.
FieldExpression parse_field_expression(const std::string& text);
FilterExpression parse_filter_expression(const std::string& text);
FormatSpec parse_format(const std::string& text);
const char* compare_op_text(CompareOp op);

}  // namespace bpfscope
