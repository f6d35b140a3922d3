#pragma once
// One symbolized stack frame. The symbolizer (symbols/) produces it and the
// stack writers (report/) consume it; it lives in base so that neither of
// those sibling layers has to include the other.
#include <cstdint>
#include <string>

namespace bpfscope {

struct StackFrame {
    enum class Kind { kUser, kKernel, kSeparator };
    std::string name;      // function name, demangled; "[unknown]" when unresolved
    std::string module;    // DSO path or "[kernel]"; "" when unknown
    uint64_t address = 0;  // instruction address as sampled (0 for synthetic frames)
    Kind kind = Kind::kUser;
    std::string file;  // source file when known (DWARF)
    int line = 0;
    bool inlined = false;  // an inlined frame expanded from the frame after it
};

}  // namespace bpfscope
