#include "symbols/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace bpfscope::symbols {

std::string demangle(std::string_view name) {
    if (!name.starts_with("_Z")) {
        return std::string(name);
    }
    // __cxa_demangle needs a terminated string and returns malloc'ed memory.
    std::string mangled(name);
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), &std::free);
    if (status != 0 || !demangled) {
        return mangled;
    }
    return std::string(demangled.get());
}

}  // namespace bpfscope::symbols
