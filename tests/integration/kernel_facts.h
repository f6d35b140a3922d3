#pragma once
// What the running kernel allows, found out independently of bpfscope (its own
// test BPF programs, /proc/config.gz, the kprobe PMU), so that a test derives
// what bpfscope must report instead of copying one machine's answers.
#include <optional>
#include <string>

namespace bpfscope::test {

enum class ProbeKind { kFentry, kFexit, kKprobe, kKretprobe };

struct ProbeOutcome {
    bool loaded = false;
    bool attached = false;
    int error = 0;  // errno of the step that failed (0: both worked)
    bool works() const { return loaded && attached; }
};

// Loads (and attaches, on vfs_read) one program of this kind; cached per kind.
const ProbeOutcome& probe_independently(ProbeKind kind);

// "y", "m" or "" (unset) for a CONFIG_ option from /proc/config.gz; nullopt
// when the kernel does not expose its config.
std::optional<std::string> kernel_config(const std::string& option);

bool kprobe_pmu_present();

// Programs named one of `names` (as the kernel keeps them: cut to 15 characters)
// that no process holds open
// (so they outlived the tool that loaded them: pinned or left attached).
// Programs of other tools running right now are held by them and not counted.
// Retries for a short while: the kernel frees a closed program asynchronously.
size_t orphaned_programs(const std::initializer_list<const char*>& names);

}  // namespace bpfscope::test
