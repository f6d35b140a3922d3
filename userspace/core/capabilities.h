#pragma once
// What the running kernel lets us do, learned by really loading (and where it
// matters attaching) a minimal program of each kind. Cached per process.
#include <string>
#include <vector>

namespace bpfscope {

enum class ProgramKind {
    kFentry,
    kFexit,
    kKprobe,
    kKretprobe,
    kUprobe,
    kUretprobe,
    kTracepoint,
    kRawTracepoint,
    kTpBtf,
    kPerfEvent,
};

enum class CapabilityStatus { kOk, kRefused, kUnavailable, kError };

struct Capability {
    ProgramKind kind;
    CapabilityStatus status = CapabilityStatus::kError;
    int error = 0;       // errno of the failed step (positive), 0 when ok
    std::string reason;  // human explanation, e.g. "refused by kernel (EPERM), lockdown=integrity"
    bool ok() const { return status == CapabilityStatus::kOk; }
};

const char* program_kind_name(ProgramKind kind);
const char* capability_status_name(CapabilityStatus status);
std::vector<ProgramKind> all_program_kinds();

// Probes once per process per kind.
const Capability& probe_capability(ProgramKind kind);

// Facts about the kernel that explain the capabilities.
struct KernelFacts {
    std::string release;
    bool btf = false;         // /sys/kernel/btf/vmlinux
    std::string lockdown;     // none/integrity/confidentiality, "unknown" when unreadable
    bool kprobe_pmu = false;  // /sys/bus/event_source/devices/kprobe
    bool uprobe_pmu = false;
    int bpf_stats_enabled = -1;  // kernel.bpf_stats_enabled, -1 when unreadable
};
const KernelFacts& kernel_facts();

// Turns an errno from a failed load/attach of `kind` into a sentence.
std::string explain_failure(ProgramKind kind, int error, bool during_attach);

}  // namespace bpfscope
