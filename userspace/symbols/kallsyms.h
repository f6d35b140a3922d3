#pragma once
// Kernel symbols from /proc/kallsyms: lookup by name (is this function here?),
// by address (binary search, for stacks) and "did you mean" suggestions.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bpfscope::symbols {

struct KernelSymbol {
    uint64_t address = 0;
    std::string name;
    std::string module;  // "" for vmlinux, else the module name
    char type = 0;       // kallsyms type letter (t/T text, ...)
};

struct ResolvedKernelAddress {
    const KernelSymbol* symbol = nullptr;  // null when below the first symbol
    uint64_t offset = 0;
};

class Kallsyms {
  public:
    // Loads a kallsyms-format file (default /proc/kallsyms). Addresses all
    // zero (kptr_restrict) leave address lookups empty but name lookups work.
    explicit Kallsyms(const std::string& path);
    // The shared instance for /proc/kallsyms, loaded once per process.
    static const Kallsyms& system();
    static Kallsyms from_text(std::string_view text);

    bool contains(const std::string& name) const;
    // Text symbol (function) with this exact name; also matches the name with
    // a compiler suffix stripped (".isra.0", ".constprop.0", ".cold").
    bool contains_function(const std::string& name) const;
    std::optional<uint64_t> address(const std::string& name) const;
    ResolvedKernelAddress resolve(uint64_t address) const;
    // Up to `limit` function names close to `name` (substring matches first,
    // then by edit distance).
    std::vector<std::string> similar(const std::string& name, size_t limit = 5) const;
    // Compiler-specialised clones of a function ("name.isra.0", ...).
    std::vector<std::string> clones_of(const std::string& name) const;
    // Every text symbol (function) name, compiler clone suffixes stripped
    // ("foo.isra.0" -> "foo"), modules' too.
    std::set<std::string> function_names() const;
    bool has_addresses() const { return has_addresses_; }
    size_t size() const { return by_address_.size(); }

  private:
    Kallsyms() = default;
    void parse(std::string_view text);

    std::vector<KernelSymbol> by_address_;  // sorted by address
    std::vector<uint32_t> by_name_;         // indexes into by_address_, sorted by name
    bool has_addresses_ = false;
};

// Strips a compiler clone suffix: "foo.isra.0" -> "foo".
std::string_view base_function_name(std::string_view name);
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace bpfscope::symbols
