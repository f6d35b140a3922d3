#pragma once
// What kernel a memcg measurement ran on: release, CONFIG_MEMCG* options,
// memcg-relevant boot parameters, and which stats implementation it has
// (mainline rstat flush, the experimental atomic counter walk, or both).
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bpfscope::memcg {

// "CONFIG_X=y" -> {"CONFIG_X", "y"}, "# CONFIG_X is not set" -> {"CONFIG_X", "n"}.
// Keeps only options whose name starts with `prefix`. String values keep their quotes removed.
std::map<std::string, std::string> parse_kernel_config(std::string_view text,
                                                       std::string_view prefix);

// Decompresses a gzip file (e.g. /proc/config.gz); throws UserError.
std::string read_gzip_file(const std::string& path);

// Splits a kernel command line (double quotes group words) and keeps the
// parameters that change memcg behaviour: cgroup_disable=, cgroup_enable=,
// cgroup_no_v1=, cgroup.memory=, swapaccount=, systemd.unified_cgroup_hierarchy=,
// systemd.legacy_systemd_cgroup_controller, cgroup_favordynmods=, ... Stops at
// "--" (what follows belongs to init).
std::vector<std::string> memcg_boot_parameters(std::string_view cmdline);

struct StatsImplementation {
    std::string kind;                         // "rstat", "atomic", "both", "unknown"
    std::vector<std::string> rstat_symbols;   // the rstat-side names found
    std::vector<std::string> atomic_symbols;  // the atomic-side names found
};

// Classifies from the set of kernel function names (kallsyms, suffixes such
// as ".isra.0" already stripped: symbols::Kallsyms::function_names()).
StatsImplementation classify_stats_implementation(const std::set<std::string>& kernel_functions);

// The names the classification looks for (also the function preset's core).
const std::vector<std::string>& rstat_marker_symbols();
const std::vector<std::string>& atomic_marker_symbols();  // plus any css_atomic_* name

struct KernelIdentity {
    std::string release, version, machine;
    std::string config_source;   // "/proc/config.gz", "/boot/config-<release>" or ""
    std::string config_problem;  // why no config could be read
    std::map<std::string, std::string> memcg_config;  // CONFIG_MEMCG*
    std::string cmdline;
    std::vector<std::string> boot_parameters;  // the memcg-relevant ones
    StatsImplementation implementation;
    std::string symbols_source;  // "/proc/kallsyms"
};

KernelIdentity probe_kernel_identity();

}  // namespace bpfscope::memcg
