#pragma once
// From a probe spec (core/probe_spec.h) to the concrete attach points on the
// running system: kernel functions from kallsyms and BTF, user functions from
// the binary's ELF symbol tables, tracepoints from tracefs, USDT probes from
// the binary's .note.stapsdt notes. Wildcards expand here, capped.
#include <cstdint>
#include <string>
#include <vector>

#include "core/probe_spec.h"

namespace bpfscope {

// One USDT argument as the SDT note spells it ("-4@%edi", "8@-16(%rbp)", "4@$5").
struct UsdtArgument {
    int size = 8;  // bytes
    bool is_signed = false;
    enum class Kind { kConstant, kRegister, kMemory } kind = Kind::kRegister;
    std::string register_name;  // "rdi", "rbp", ... (64-bit name)
    int64_t value = 0;          // constant, or the memory displacement
};

struct ResolvedProbe {
    ProbeSpec spec;
    std::string name;         // the point's title: "vfs_read", "r:c:malloc", "t:sched:sched_switch"
    std::string function;     // kernel/user function (a real name, never a pattern)
    std::string binary_path;  // user/USDT: the file the uprobe sits in
    uint64_t file_offset = 0;       // user/USDT: where in the file
    uint64_t semaphore_offset = 0;  // USDT: file offset of the semaphore, 0: none
    std::string category, event;    // tracepoint
    std::vector<UsdtArgument> usdt_arguments;
};

struct ResolveOptions {
    uint32_t pid = 0;           // resolve LIB through this process's mappings
    size_t max_matches = 1000;  // a wildcard matching more is an error
};

// Throws UserError (one line: what is unknown, what to do; similar names when
// there are) for an unknown function, tracepoint, binary or USDT probe, and
// for a wildcard past the cap.
std::vector<ResolvedProbe> resolve_probe(const ProbeSpec& spec, const ResolveOptions& options);

// Offline pieces, for tests.
bool glob_match(const std::string& pattern, const std::string& name);
// Parses one SDT argument spec; throws UserError when it cannot be read.
UsdtArgument parse_usdt_argument(const std::string& text);

}  // namespace bpfscope

struct btf;
namespace bpfscope {
// The running kernel's BTF (loaded once); nullptr when the kernel has none.
const struct btf* vmlinux_btf();
}  // namespace bpfscope
