#include "core/target_spec.h"

#include <algorithm>
#include <cctype>

#include "base/error.h"

namespace bpfscope {

namespace {

bool is_identifier(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
}

void parse_tracepoint(const std::string& whole, const std::string& part, std::string& category,
                      std::string& event) {
    auto colon = part.find(':');
    if (colon == std::string::npos || part.find(':', colon + 1) != std::string::npos)
        throw UserError("bad tracepoint '" + part + "' in '" + whole +
                        "': write CATEGORY:EVENT, e.g. cgroup:cgroup_rstat_locked");
    category = part.substr(0, colon);
    event = part.substr(colon + 1);
    if (!is_identifier(category) || !is_identifier(event))
        throw UserError("bad tracepoint '" + part + "' in '" + whole +
                        "': category and event must be identifiers, e.g. sched:sched_switch");
}

}  // namespace

TargetSpec parse_target(const std::string& text) {
    TargetSpec spec;
    spec.text = text;
    if (text.empty())
        throw UserError("empty target: give a function, PATH:FUNC or CAT:START..CAT:END");
    auto dots = text.find("..");
    if (dots != std::string::npos) {
        spec.type = TargetSpec::Type::kTracepointBracket;
        std::string start = text.substr(0, dots), end = text.substr(dots + 2);
        if (start.empty() || end.empty())
            throw UserError("bad bracket '" + text +
                            "': write CAT:START..CAT:END, e.g. "
                            "cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock");
        parse_tracepoint(text, start, spec.start_category, spec.start_event);
        parse_tracepoint(text, end, spec.end_category, spec.end_event);
        return spec;
    }
    auto colon = text.rfind(':');
    if (colon != std::string::npos) {
        spec.type = TargetSpec::Type::kUserFunction;
        spec.binary = text.substr(0, colon);
        spec.function = text.substr(colon + 1);
        if (spec.binary.empty() || spec.function.empty())
            throw UserError("bad user target '" + text +
                            "': write PATH:FUNC or LIB:FUNC, e.g. c:malloc");
        if (!is_identifier(spec.function))
            throw UserError("bad function name '" + spec.function + "' in '" + text + "'");
        return spec;
    }
    if (!is_identifier(text))
        throw UserError("bad kernel function name '" + text +
                        "': give a name like vfs_read, PATH:FUNC or CAT:START..CAT:END");
    spec.type = TargetSpec::Type::kKernelFunction;
    spec.function = text;
    return spec;
}

const char* target_type_name(TargetSpec::Type type) {
    switch (type) {
        case TargetSpec::Type::kKernelFunction:
            return "kernel function";
        case TargetSpec::Type::kUserFunction:
            return "user function";
        case TargetSpec::Type::kTracepointBracket:
            return "tracepoint bracket";
    }
    return "?";
}

}  // namespace bpfscope
