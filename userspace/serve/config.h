#pragma once
// What `bpfscope serve` collects, from a YAML file (--config) and flags.
// Unknown keys and wrong types are refused with one line naming the key, so a
// typo never silently turns a collector off.
#include <cstdint>
#include <string>
#include <vector>

namespace bpfscope::serve {

struct FunclatencyTarget {
    std::string target;  // as funclatency takes it (PATH:FUNC, CAT:START..CAT:END, FUNC)
    std::string name;    // the `target` label (default: the target text)
    uint32_t pid = 0;    // only this process
    bool operator==(const FunclatencyTarget&) const = default;
};

struct ServeConfig {
    std::string listen = "127.0.0.1:9435";
    bool runqlat = true;
    bool runqlat_per_cgroup = false;
    uint32_t runqlat_max_cgroups = 64;  // label cap: cgroups beyond it fold into cgroup="_other"
    std::vector<FunclatencyTarget> funclatency;
    uint32_t funclatency_max_targets = 64;
    bool bpf_stats = true;            // kernel BPF run-time statistics while serving
    uint32_t pprof_max_seconds = 60;  // longest ?seconds= a pprof endpoint accepts
};

// Parses YAML text; `source` names it in error messages. Throws UserError.
ServeConfig parse_config(const std::string& yaml_text, const std::string& source,
                         ServeConfig defaults = {});
ServeConfig load_config_file(const std::string& path, ServeConfig defaults = {});

// "HOST:PORT" or "[V6]:PORT"; PORT 0 picks a free port. Throws UserError.
struct ListenAddress {
    std::string host;
    int port = 0;
};
ListenAddress parse_listen_address(const std::string& text);

}  // namespace bpfscope::serve
