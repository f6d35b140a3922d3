#pragma once
// The probe grammar shared by trace, funccount, stackcount and argdist:
//   FUNC, p:FUNC                kernel function entry        (wildcards: mem_cgroup_*)
//   r:FUNC                      kernel function return
//   PATH:FUNC, LIB:FUNC         user function entry (LIB: c, libc, libpthread, ...)
//   p:LIB:FUNC, r:LIB:FUNC      user function entry / return (wildcards: c:str*)
//   t:CAT:NAME                  tracepoint                   (wildcards: t:cgroup:*)
//   u:PATH:PROVIDER:NAME        USDT probe (SDT note), PATH may be a LIB
// The prefixes p, r, t and u are reserved: they are never read as a library.
#include <string>

namespace bpfscope {

struct ProbeSpec {
    enum class Kind { kKernelEntry, kKernelReturn, kUserEntry, kUserReturn, kTracepoint, kUsdt };
    Kind kind = Kind::kKernelEntry;
    std::string text;       // as written: the probe's title in reports
    std::string binary;     // user/USDT: path or library as written
    std::string function;   // kernel/user: function name or pattern
    std::string category;   // tracepoint: category (pattern allowed)
    std::string event;      // tracepoint: event (pattern allowed)
    std::string provider;   // USDT
    std::string name;       // USDT
    bool wildcard() const;  // any '*' or '?' in function, category or event
    bool is_return() const { return kind == Kind::kKernelReturn || kind == Kind::kUserReturn; }
    bool is_kernel_function() const {
        return kind == Kind::kKernelEntry || kind == Kind::kKernelReturn;
    }
    bool is_user_function() const { return kind == Kind::kUserEntry || kind == Kind::kUserReturn; }
};

// Throws UserError with a one-line explanation when `text` is malformed.
ProbeSpec parse_probe_spec(const std::string& text);
const char* probe_kind_name(ProbeSpec::Kind kind);

}  // namespace bpfscope
