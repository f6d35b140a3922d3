#pragma once
// What a field expression (core/probe_expression.h) means for one attach
// point: where the BPF program finds it (argument register, return value,
// tracepoint record offset, task facts), its width and sign, and the member
// reads behind `->`, all resolved here in user space from BTF and the
// tracepoint's format file. The BPF side (bpf/probe.h probe_field) only follows
// the recipe.
#include <cstdint>
#include <string>
#include <vector>

#include "core/probe_expression.h"
#include "core/probe_resolve.h"
#include "probe.h"

struct btf;

namespace bpfscope {

// One field of a tracepoint's format file.
struct TracepointField {
    std::string name;
    std::string type;  // C type as written: "int", "const char *", "char[16]", "__data_loc char[]"
    uint32_t offset = 0;
    uint32_t size = 0;
    bool is_signed = false;
    bool data_loc = false;    // __data_loc: u32 (length << 16 | offset) into the record
    bool char_array = false;  // char name[N]: a string inside the record
    bool pointer = false;
    bool common = false;  // common_pid, common_flags, ...
};

// Parses the text of events/CAT/NAME/format. Throws UserError when it has no fields.
std::vector<TracepointField> parse_tracepoint_format(const std::string& text);
// Reads and parses it from tracefs.
std::vector<TracepointField> tracepoint_fields(const std::string& category,
                                               const std::string& event);

// A kernel function's signature from BTF.
struct FunctionParameter {
    std::string name;
    uint32_t type_id = 0;   // BTF type id (0: void)
    std::string type_name;  // "size_t", "struct file *"
};
struct FunctionSignature {
    std::vector<FunctionParameter> parameters;
    uint32_t return_type_id = 0;
};
// Throws UserError when the function has no BTF entry.
FunctionSignature kernel_function_signature(const struct btf* btf, const std::string& function);
std::string btf_type_text(const struct btf* btf, uint32_t type_id);

// A field resolved for one point.
struct ResolvedField {
    probe_field recipe{};
    bool string = false;
    bool is_signed = false;
    unsigned size = 8;
    bool pointer = false;  // print in hex by default
    std::string text;
};

// What a probe offers, for the fields and the error messages.
struct FieldContext {
    const ResolvedProbe* probe = nullptr;
    const struct btf* btf = nullptr;          // kernel functions and struct members
    std::vector<TracepointField> tracepoint;  // tracepoints
};

FieldContext field_context(const ResolvedProbe& probe);
// Throws UserError: a field this probe does not have (naming those it has),
// str() on a non-pointer, a member that does not exist.
ResolvedField resolve_field(const FieldExpression& field, const FieldContext& context);
// The fields a probe offers, for messages ("arg1 (struct file *file), ...").
std::string available_fields(const FieldContext& context);

}  // namespace bpfscope
