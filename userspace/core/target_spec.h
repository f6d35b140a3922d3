#pragma once
// What a latency tool measures, as the user writes it:
//   FUNC                      kernel function
//   PATH:FUNC, LIB:FUNC       user function (uprobe), LIB like "c" or "libc"
//   CAT:START..CAT:END        tracepoint bracket, matched per thread
#include <string>

namespace bpfscope {

struct TargetSpec {
    enum class Type { kKernelFunction, kUserFunction, kTracepointBracket };
    Type type = Type::kKernelFunction;
    std::string text;      // as written, used as the target's title
    std::string function;  // kernel or user function name
    std::string binary;    // user: path or library name as written
    std::string start_category, start_event, end_category, end_event;  // bracket
};

// Throws UserError with a one-line explanation when `text` is malformed.
TargetSpec parse_target(const std::string& text);
const char* target_type_name(TargetSpec::Type type);

}  // namespace bpfscope
