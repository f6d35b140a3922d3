#include "core/probe_fields.h"

#include <bpf/btf.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "base/error.h"
#include "core/tracefs.h"

namespace bpfscope {

namespace {

std::string trim(const std::string& s) {
    size_t begin = s.find_first_not_of(" \t");
    size_t end = s.find_last_not_of(" \t");
    return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

// "offset:8" inside a format line.
std::optional<uint32_t> attribute(const std::string& line, const std::string& key) {
    auto at = line.find(key + ":");
    if (at == std::string::npos)
        return std::nullopt;
    return uint32_t(std::stoul(line.substr(at + key.size() + 1)));
}

// ---- BTF ----

const struct btf_type* resolved(const struct btf* btf, uint32_t id, uint32_t* out_id = nullptr) {
    int resolved_id = btf__resolve_type(btf, id);
    if (resolved_id < 0)
        return nullptr;
    if (out_id)
        *out_id = uint32_t(resolved_id);
    return btf__type_by_id(btf, uint32_t(resolved_id));
}

struct MemberHit {
    uint32_t offset = 0;  // bytes from the start of the outer struct
    uint32_t type_id = 0;
    bool bitfield = false;
};

// Finds `name` in a struct/union, looking inside anonymous members too.
std::optional<MemberHit> find_member(const struct btf* btf, const struct btf_type* type,
                                     const std::string& name) {
    const struct btf_member* members = btf_members(type);
    for (unsigned i = 0; i < btf_vlen(type); i++) {
        uint32_t bit_offset = btf_member_bit_offset(type, i);
        const char* member_name = btf__name_by_offset(btf, members[i].name_off);
        if (member_name && name == member_name)
            return MemberHit{bit_offset / 8, members[i].type,
                             btf_member_bitfield_size(type, i) != 0 || bit_offset % 8 != 0};
        if (!member_name || !*member_name) {
            const struct btf_type* inner = resolved(btf, members[i].type);
            if (inner && btf_is_composite(inner))
                if (auto hit = find_member(btf, inner, name)) {
                    hit->offset += bit_offset / 8;
                    return hit;
                }
        }
    }
    return std::nullopt;
}

// Width, sign and kind of a scalar BTF type.
struct Scalar {
    unsigned size = 8;
    bool is_signed = false;
    bool pointer = false;
    bool char_array = false;
    bool scalar = true;  // false: struct, union or another array
};

Scalar scalar_of(const struct btf* btf, uint32_t type_id) {
    Scalar out;
    if (type_id == 0)
        return out;
    const struct btf_type* type = resolved(btf, type_id);
    if (!type)
        return out;
    if (btf_is_ptr(type)) {
        out.pointer = true;
    } else if (btf_is_int(type)) {
        out.size = type->size;
        out.is_signed = btf_int_encoding(type) & BTF_INT_SIGNED;
    } else if (btf_is_enum(type)) {
        out.size = type->size;
    } else if (btf_is_array(type)) {
        const struct btf_type* element = resolved(btf, btf_array(type)->type);
        out.char_array = element && btf_is_int(element) && element->size == 1;
        out.scalar = false;
    } else {
        out.scalar = false;
    }
    return out;
}

const char* kTaskFields[] = {"comm", "pid", "tid", "cpu", "uid", "cgroup"};

}  // namespace

std::vector<TracepointField> parse_tracepoint_format(const std::string& text) {
    std::vector<TracepointField> fields;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto at = line.find("field:");
        if (at == std::string::npos)
            continue;
        auto semicolon = line.find(';', at);
        if (semicolon == std::string::npos)
            continue;
        std::string declaration = trim(line.substr(at + 6, semicolon - at - 6));
        TracepointField field;
        auto offset = attribute(line, "offset");
        auto size = attribute(line, "size");
        if (!offset || !size)
            continue;
        field.offset = *offset;
        field.size = *size;
        field.is_signed = attribute(line, "signed").value_or(0) != 0;
        // The name is the last identifier, before an optional [N].
        std::string without_array = declaration;
        bool array = false;
        if (auto bracket = declaration.rfind('['); bracket != std::string::npos &&
                                                   declaration.back() == ']' &&
                                                   declaration.find("__data_loc") != 0) {
            without_array = trim(declaration.substr(0, bracket));
            array = true;
        }
        size_t name_start = without_array.size();
        while (name_start > 0 &&
               (std::isalnum(static_cast<unsigned char>(without_array[name_start - 1])) ||
                without_array[name_start - 1] == '_'))
            name_start--;
        field.name = without_array.substr(name_start);
        field.type = trim(without_array.substr(0, name_start));
        if (array)
            field.type += declaration.substr(declaration.rfind('['));
        field.data_loc = field.type.rfind("__data_loc", 0) == 0;
        field.char_array =
            array && (field.type.rfind("char", 0) == 0 || field.type.rfind("const char", 0) == 0 ||
                      field.type.rfind("unsigned char", 0) == 0);
        field.pointer = !array && field.type.find('*') != std::string::npos;
        field.common = field.name.rfind("common_", 0) == 0;
        if (!field.name.empty())
            fields.push_back(field);
    }
    if (fields.empty())
        throw UserError("the tracepoint format file has no fields (is it a format file?)");
    return fields;
}

std::vector<TracepointField> tracepoint_fields(const std::string& category,
                                               const std::string& event) {
    const auto& tracefs = ensure_tracefs();
    std::string path = tracefs.path + "/events/" + category + "/" + event + "/format";
    std::ifstream in(path);
    if (!in)
        throw UserError("cannot read " + path + ": is tracefs mounted and are we root?");
    std::stringstream text;
    text << in.rdbuf();
    return parse_tracepoint_format(text.str());
}

std::string btf_type_text(const struct btf* btf, uint32_t type_id) {
    std::string suffix;
    for (int guard = 0; guard < 16; guard++) {
        if (type_id == 0)
            return "void" + suffix;
        const struct btf_type* type = btf__type_by_id(btf, type_id);
        if (!type)
            return "?";
        const char* name = btf__name_by_offset(btf, type->name_off);
        if (btf_is_ptr(type)) {
            suffix = " *" + suffix;
        } else if (btf_is_const(type) || btf_is_volatile(type) || btf_is_restrict(type)) {
        } else if (btf_is_struct(type) || btf_is_union(type) || btf_is_enum(type)) {
            const char* keyword = btf_is_struct(type)  ? "struct "
                                  : btf_is_union(type) ? "union "
                                                       : "enum ";
            return keyword + std::string(name ? name : "") + suffix;
        } else if (name && *name) {
            return name + suffix;
        } else {
            return "?" + suffix;
        }
        type_id = type->type;
    }
    return "?";
}

FunctionSignature kernel_function_signature(const struct btf* btf, const std::string& function) {
    if (!btf)
        throw UserError("this kernel has no BTF (/sys/kernel/btf/vmlinux): the arguments of '" +
                        function + "' cannot be typed; use a tracepoint");
    int id = btf__find_by_name_kind(btf, function.c_str(), BTF_KIND_FUNC);
    if (id <= 0)
        throw UserError("kernel function '" + function +
                        "' has no BTF entry (inlined or static?): its arguments are unknown");
    const struct btf_type* func = btf__type_by_id(btf, uint32_t(id));
    const struct btf_type* proto = btf__type_by_id(btf, func->type);
    FunctionSignature signature;
    signature.return_type_id = proto->type;
    const struct btf_param* params = btf_params(proto);
    for (unsigned i = 0; i < btf_vlen(proto); i++) {
        FunctionParameter parameter;
        const char* name = btf__name_by_offset(btf, params[i].name_off);
        parameter.name = name ? name : "";
        parameter.type_id = params[i].type;
        parameter.type_name = btf_type_text(btf, params[i].type);
        signature.parameters.push_back(parameter);
    }
    return signature;
}

FieldContext field_context(const ResolvedProbe& probe) {
    FieldContext context;
    context.probe = &probe;
    context.btf = vmlinux_btf();
    if (probe.spec.kind == ProbeSpec::Kind::kTracepoint)
        context.tracepoint = tracepoint_fields(probe.category, probe.event);
    return context;
}

std::string available_fields(const FieldContext& context) {
    const ResolvedProbe& probe = *context.probe;
    std::string out;
    auto add = [&](const std::string& text) { out += (out.empty() ? "" : ", ") + text; };
    switch (probe.spec.kind) {
        case ProbeSpec::Kind::kKernelEntry:
        case ProbeSpec::Kind::kKernelReturn: {
            try {
                auto signature = kernel_function_signature(context.btf, probe.function);
                for (size_t i = 0; i < signature.parameters.size(); i++)
                    add("arg" + std::to_string(i + 1) + " (" + signature.parameters[i].type_name +
                        " " + signature.parameters[i].name + ")");
                if (probe.spec.is_return())
                    add("retval (" + btf_type_text(context.btf, signature.return_type_id) + ")");
            } catch (const UserError&) {
                add("arg1..arg6");
            }
            break;
        }
        case ProbeSpec::Kind::kUserEntry:
            add("arg1..arg6");
            break;
        case ProbeSpec::Kind::kUserReturn:
            add("arg1..arg6, retval");
            break;
        case ProbeSpec::Kind::kTracepoint:
            for (const auto& field : context.tracepoint)
                if (!field.common)
                    add(field.name);
            break;
        case ProbeSpec::Kind::kUsdt:
            add("arg1..arg" + std::to_string(probe.usdt_arguments.size()));
            break;
    }
    for (const char* name : kTaskFields) add(name);
    return out;
}

ResolvedField resolve_field(const FieldExpression& expression, const FieldContext& context) {
    const ResolvedProbe& probe = *context.probe;
    ResolvedField field;
    field.text = expression.text.empty() ? expression.base : expression.text;
    probe_field& recipe = field.recipe;
    recipe.size = 8;
    const std::string& base = expression.base;
    auto unknown = [&] {
        return UserError("'" + probe.name + "' has no field '" + base + "': it has " +
                         available_fields(context));
    };
    bool kernel = probe.spec.is_kernel_function();
    bool user_side = probe.spec.is_user_function() || probe.spec.kind == ProbeSpec::Kind::kUsdt;
    recipe.user_memory = user_side;
    uint32_t btf_type = 0;    // BTF type of the base value, when known
    bool type_known = false;  // width/sign/pointer-ness known (BTF or format file)
    Scalar scalar;

    static const std::map<std::string, uint8_t> task_sources = {
        {"comm", PROBE_SOURCE_COMM}, {"pid", PROBE_SOURCE_PID}, {"tid", PROBE_SOURCE_TID},
        {"cpu", PROBE_SOURCE_CPU},   {"uid", PROBE_SOURCE_UID}, {"cgroup", PROBE_SOURCE_CGROUP}};

    const TracepointField* tracepoint_field = nullptr;
    for (const auto& candidate : context.tracepoint)
        if (candidate.name == base)
            tracepoint_field = &candidate;

    int arg_number = 0;
    if (base.size() == 4 && base.rfind("arg", 0) == 0 && base[3] >= '1' && base[3] <= '9')
        arg_number = base[3] - '0';
    std::optional<FunctionSignature> signature;
    if (kernel && context.btf)
        try {
            signature = kernel_function_signature(context.btf, probe.function);
        } catch (const UserError&) {
        }
    // A kernel function's argument names from BTF are fields too (vfs_read: count).
    if (signature && !arg_number && !tracepoint_field)
        for (size_t i = 0; i < signature->parameters.size(); i++)
            if (signature->parameters[i].name == base)
                arg_number = int(i) + 1;

    if (tracepoint_field) {
        const TracepointField& tp = *tracepoint_field;
        recipe.source = tp.data_loc ? PROBE_SOURCE_DATA_LOC : PROBE_SOURCE_RECORD;
        recipe.record_offset = tp.offset;
        recipe.size = uint8_t(std::min<uint32_t>(tp.size, tp.char_array ? PROBE_STRING_MAX : 8));
        recipe.is_signed = tp.is_signed;
        recipe.inline_string = tp.char_array;
        type_known = true;
        scalar.size = recipe.size;
        scalar.is_signed = tp.is_signed;
        scalar.pointer = tp.pointer;
        scalar.char_array = tp.char_array || tp.data_loc;
        scalar.scalar = !scalar.char_array && tp.size <= 8;
        // syscall arguments are user pointers; the kernel read falls back to user.
        recipe.user_memory = probe.category == "syscalls";
        if (tp.pointer && context.btf) {
            // "struct file *": members through BTF.
            std::string type = tp.type;
            for (const char* prefix : {"const ", "struct "})
                if (type.rfind(prefix, 0) == 0)
                    type = type.substr(std::string(prefix).size());
            auto star = type.find(" *");
            if (star != std::string::npos && type.find('*', star + 2) == std::string::npos) {
                int id = btf__find_by_name_kind(context.btf, type.substr(0, star).c_str(),
                                                BTF_KIND_STRUCT);
                if (id > 0)
                    btf_type = uint32_t(id) | 0x80000000u;  // marks "pointer to this struct"
            }
        }
    } else if (auto task = task_sources.find(base); task != task_sources.end()) {
        recipe.source = task->second;
        type_known = true;
        scalar.size = base == "cgroup" ? 8 : 4;
        recipe.size = uint8_t(scalar.size);
        if (base == "comm") {
            scalar.char_array = true;
            scalar.scalar = false;
        }
    } else if (arg_number) {
        if (probe.spec.kind == ProbeSpec::Kind::kTracepoint)
            throw unknown();
        if (arg_number > 6)
            throw UserError("'" + base + "': only arg1..arg6 (the register arguments) can be read");
        if (probe.spec.kind == ProbeSpec::Kind::kUsdt) {
            if (size_t(arg_number) > probe.usdt_arguments.size())
                throw unknown();
            const UsdtArgument& argument = probe.usdt_arguments[size_t(arg_number - 1)];
            // x86-64 struct pt_regs, in order: where the uprobe's context keeps each register.
            static const std::vector<std::string> kRegisters = {
                "r15", "r14", "r13", "r12", "rbp",      "rbx", "r11", "r10",    "r9",  "r8", "rax",
                "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs",  "eflags", "rsp", "ss"};
            if (argument.kind == UsdtArgument::Kind::kConstant)
                throw UserError("'" + base + "' of '" + probe.name + "' is the constant " +
                                std::to_string(argument.value) + " in the binary: nothing to read");
            auto it = std::find(kRegisters.begin(), kRegisters.end(), argument.register_name);
            if (it == kRegisters.end())
                throw UserError("'" + base + "' of '" + probe.name + "' lives in register '" +
                                argument.register_name + "', which cannot be read here");
            recipe.source = PROBE_SOURCE_REGS;
            recipe.record_offset = uint32_t((it - kRegisters.begin()) * 8);
            recipe.user_memory = 1;
            if (argument.kind == UsdtArgument::Kind::kMemory) {
                recipe.steps = 1;
                recipe.offsets[0] = uint32_t(argument.value);
            }
            scalar.size = unsigned(argument.size);
            scalar.is_signed = argument.is_signed;
            type_known = true;
        } else {
            recipe.source = PROBE_SOURCE_ARG;
            recipe.index = uint8_t(arg_number - 1);
        }
        if (probe.spec.kind == ProbeSpec::Kind::kUsdt) {
        } else if (signature) {
            if (size_t(arg_number) > signature->parameters.size())
                throw UserError("'" + probe.function + "' takes " +
                                std::to_string(signature->parameters.size()) +
                                " argument(s): it has no '" + base + "'; it has " +
                                available_fields(context));
            btf_type = signature->parameters[size_t(arg_number - 1)].type_id;
            scalar = scalar_of(context.btf, btf_type);
            type_known = true;
        } else {
            scalar.is_signed = true;  // user functions: no types, a 64-bit register
        }
    } else if (base == "retval" || base == "ret") {
        if (!probe.spec.is_return())
            throw UserError("'" + probe.name + "' has no return value: use r:" +
                            probe.spec.text.substr(probe.spec.text.rfind("p:", 0) == 0 ? 2 : 0) +
                            " for retval");
        recipe.source = PROBE_SOURCE_RETVAL;
        if (signature) {
            btf_type = signature->return_type_id;
            scalar = scalar_of(context.btf, btf_type);
            type_known = true;
        } else {
            scalar.is_signed = true;
        }
    } else {
        throw unknown();
    }
    if (!scalar.scalar && !scalar.char_array && expression.members.empty())
        throw UserError("field '" + field.text + "' of '" + probe.name +
                        "' is a struct or array: name one of its members (" + base + "->member)");

    // Members: each '->' is one memory read; '.' adds to the offset of the read.
    if (!expression.members.empty()) {
        if (!context.btf || !btf_type)
            throw UserError("'" + field.text + "': member access needs a BTF-typed pointer (" +
                            (kernel ? "no BTF for this argument"
                                    : "this probe's fields have no "
                                      "BTF types") +
                            ")");
        uint32_t current = btf_type & 0x7fffffffu;
        bool current_is_struct_pointer = btf_type & 0x80000000u;
        uint32_t pending = 0;
        bool open = false;
        std::vector<uint32_t> offsets;
        for (size_t i = 0; i < expression.members.size(); i++) {
            const std::string& member = expression.members[i];
            bool deref = i < expression.member_derefs.size() ? expression.member_derefs[i] : true;
            const struct btf_type* type = nullptr;
            if (deref) {
                if (current_is_struct_pointer) {
                    type = resolved(context.btf, current);
                    current_is_struct_pointer = false;
                } else {
                    const struct btf_type* pointer = resolved(context.btf, current);
                    if (!pointer || !btf_is_ptr(pointer))
                        throw UserError("'" + field.text + "': '->" + member +
                                        "' follows a value that is not a pointer (" +
                                        btf_type_text(context.btf, current) + ")");
                    type = resolved(context.btf, pointer->type);
                }
                if (open)
                    offsets.push_back(pending);
                pending = 0;
                open = true;
            } else {
                if (!open)
                    throw UserError("'" + field.text + "': use '->' on a pointer argument ('." +
                                    member + "' needs a struct value)");
                type = resolved(context.btf, current);
            }
            if (!type || !btf_is_composite(type))
                throw UserError("'" + field.text + "': '" + member +
                                "' is looked up in a value that is not a struct or union (" +
                                btf_type_text(context.btf, current) + ")");
            auto hit = find_member(context.btf, type, member);
            if (!hit)
                throw UserError("'" + field.text + "': " + btf_type_text(context.btf, current) +
                                " has no member '" + member + "'");
            if (hit->bitfield)
                throw UserError("'" + field.text + "': '" + member +
                                "' is a bit field; bit fields cannot be read");
            pending += hit->offset;
            current = hit->type_id;
        }
        offsets.push_back(pending);
        if (offsets.size() > PROBE_MAX_STEPS)
            throw UserError("'" + field.text + "': at most " + std::to_string(PROBE_MAX_STEPS) +
                            " pointer steps ('->') in one field");
        recipe.steps = uint8_t(offsets.size());
        for (size_t i = 0; i < offsets.size(); i++) recipe.offsets[i] = offsets[i];
        scalar = scalar_of(context.btf, current);
        type_known = true;
        recipe.inline_string = scalar.char_array;
        if (!scalar.scalar && !scalar.char_array)
            throw UserError("'" + field.text + "' is a struct, union or array (" +
                            btf_type_text(context.btf, current) + "): name one of its members");
        if (!probe.spec.is_kernel_function() && probe.spec.kind != ProbeSpec::Kind::kTracepoint)
            recipe.user_memory = 1;
    }

    if (expression.string) {
        bool pointer_like = scalar.pointer || scalar.char_array || !type_known;
        if (!pointer_like)
            throw UserError("str(" + field.text.substr(field.text.find('(') + 1).substr(0) +
                            " needs a pointer to a string, but '" + expression.base +
                            (expression.members.empty() ? "" : "->...") + "' of '" + probe.name +
                            "' is a " + std::to_string(scalar.size * 8) + "-bit " +
                            (scalar.is_signed ? "signed" : "unsigned") + " integer");
        field.string = true;
        recipe.string = 1;
    } else if (scalar.char_array) {
        // comm, char[N] and __data_loc strings are strings without str().
        field.string = true;
        recipe.string = 1;
    }
    if (!field.string) {
        recipe.size = uint8_t(scalar.pointer ? 8 : scalar.size);
        recipe.is_signed = scalar.is_signed;
        field.is_signed = scalar.is_signed;
        field.size = recipe.size;
        field.pointer = scalar.pointer;
    }
    return field;
}

}  // namespace bpfscope
