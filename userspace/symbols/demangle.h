#pragma once
#include <string>
#include <string_view>

namespace bpfscope::symbols {

// The demangled form of an Itanium C++ ABI name ("_ZN4demo6Widget7computeEi" ->
// "demo::Widget::compute(int)"); any other name is returned unchanged.
std::string demangle(std::string_view name);

}  // namespace bpfscope::symbols
