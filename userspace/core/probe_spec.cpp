#include "core/probe_spec.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/error.h"

namespace bpfscope {

namespace {

std::vector<std::string> split_colons(const std::string& text) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t colon = text.find(':', start);
        parts.push_back(text.substr(start, colon - start));
        if (colon == std::string::npos)
            return parts;
        start = colon + 1;
    }
}

bool has_wildcard(const std::string& s) {
    return s.find_first_of("*?") != std::string::npos;
}

// Function, category and event names: identifiers with '.' (kernel clones such
// as foo.isra.0) and the wildcards '*' and '?'.
void check_name(const std::string& name, const char* what, const std::string& text) {
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '*' ||
               c == '?' || c == '$';
    });
    if (!ok)
        throw UserError("bad probe '" + text + "': " + what + " '" + name +
                        "' must be a name (letters, digits, _ . and wildcards * ?)");
}

void check_binary(const std::string& binary, const std::string& text) {
    if (binary.empty())
        throw UserError("bad probe '" + text +
                        "': the binary before ':' is empty (write PATH:FUNC or LIB:FUNC, e.g. "
                        "c:malloc)");
    if (has_wildcard(binary))
        throw UserError("bad probe '" + text + "': wildcards are allowed in the function name, " +
                        "not in the binary '" + binary + "'");
}

const char* kGrammar =
    "write FUNC, p:FUNC, r:FUNC (kernel), PATH:FUNC, LIB:FUNC, r:LIB:FUNC (user), "
    "t:CAT:NAME (tracepoint) or u:PATH:PROVIDER:NAME (USDT)";

}  // namespace

bool ProbeSpec::wildcard() const {
    return has_wildcard(function) || has_wildcard(category) || has_wildcard(event) ||
           has_wildcard(provider) || has_wildcard(name);
}

const char* probe_kind_name(ProbeSpec::Kind kind) {
    switch (kind) {
        case ProbeSpec::Kind::kKernelEntry:
            return "kernel function";
        case ProbeSpec::Kind::kKernelReturn:
            return "kernel function return";
        case ProbeSpec::Kind::kUserEntry:
            return "user function";
        case ProbeSpec::Kind::kUserReturn:
            return "user function return";
        case ProbeSpec::Kind::kTracepoint:
            return "tracepoint";
        case ProbeSpec::Kind::kUsdt:
            return "USDT probe";
    }
    return "?";
}

ProbeSpec parse_probe_spec(const std::string& text) {
    ProbeSpec spec;
    spec.text = text;
    if (text.empty())
        throw UserError(std::string("empty probe: ") + kGrammar);
    if (text.find_first_of(" \t\n") != std::string::npos)
        throw UserError("bad probe '" + text + "': no spaces allowed; " + kGrammar);
    std::vector<std::string> parts = split_colons(text);
    const std::string& head = parts[0];

    if (head == "t") {
        if (parts.size() != 3)
            throw UserError("bad tracepoint '" + text +
                            "': write t:CATEGORY:EVENT, e.g. t:sched:sched_switch");
        spec.kind = ProbeSpec::Kind::kTracepoint;
        spec.category = parts[1];
        spec.event = parts[2];
        check_name(spec.category, "category", text);
        check_name(spec.event, "event", text);
        return spec;
    }
    if (head == "u") {
        if (parts.size() < 4)
            throw UserError("bad USDT probe '" + text +
                            "': write u:PATH:PROVIDER:NAME, e.g. u:/usr/bin/python3:python:"
                            "function__entry");
        spec.kind = ProbeSpec::Kind::kUsdt;
        spec.name = parts.back();
        spec.provider = parts[parts.size() - 2];
        spec.binary = text.substr(2, text.size() - 2 - spec.name.size() - spec.provider.size() - 2);
        check_binary(spec.binary, text);
        check_name(spec.provider, "provider", text);
        check_name(spec.name, "probe name", text);
        return spec;
    }
    bool is_return = head == "r";
    bool explicit_entry = head == "p";
    std::vector<std::string> rest = is_return || explicit_entry
                                        ? std::vector<std::string>(parts.begin() + 1, parts.end())
                                        : parts;
    if (rest.empty() || (rest.size() == 1 && rest[0].empty()))
        throw UserError("bad probe '" + text + "': no function given; " + kGrammar);
    if (rest.size() == 1) {
        spec.kind = is_return ? ProbeSpec::Kind::kKernelReturn : ProbeSpec::Kind::kKernelEntry;
        spec.function = rest[0];
        check_name(spec.function, "function", text);
        return spec;
    }
    // PATH:FUNC: the function is after the last ':' (a path may hold ':').
    spec.kind = is_return ? ProbeSpec::Kind::kUserReturn : ProbeSpec::Kind::kUserEntry;
    spec.function = rest.back();
    size_t prefix = is_return || explicit_entry ? 2 : 0;
    spec.binary = text.substr(prefix, text.size() - prefix - spec.function.size() - 1);
    check_binary(spec.binary, text);
    check_name(spec.function, "function", text);
    return spec;
}

}  // namespace bpfscope
