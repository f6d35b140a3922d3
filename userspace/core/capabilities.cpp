#include "core/capabilities.h"

#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

#include "base/owners.h"
#include "caps.skel.h"
#include "core/tracefs.h"

namespace bpfscope {

namespace {

using CapsSkeleton = Skeleton<caps_bpf, caps_bpf__destroy>;

bool path_exists(const char* path) {
    struct stat st {};
    return stat(path, &st) == 0;
}

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string read_lockdown() {
    const char* path = "/sys/kernel/security/lockdown";
    if (!path_exists(path) && geteuid() == 0) {
        // securityfs is often not mounted; mounting it is harmless and read-only here.
        mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr);
    }
    std::string line = read_first_line(path);
    if (line.empty())
        return "unknown";
    // "none [integrity] confidentiality": the bracketed word is in force.
    auto open = line.find('['), close = line.find(']');
    if (open != std::string::npos && close != std::string::npos && close > open)
        return line.substr(open + 1, close - open - 1);
    return line;
}

// A function every kernel has and that is safe to trace for a moment.
constexpr const char* kProbeFunction = "vfs_read";

bpf_program* program_for(caps_bpf* skel, ProgramKind kind) {
    switch (kind) {
        case ProgramKind::kFentry:
            return skel->progs.probe_fentry;
        case ProgramKind::kFexit:
            return skel->progs.probe_fexit;
        case ProgramKind::kKprobe:
            return skel->progs.probe_kprobe;
        case ProgramKind::kKretprobe:
            return skel->progs.probe_kretprobe;
        case ProgramKind::kUprobe:
            return skel->progs.probe_uprobe;
        case ProgramKind::kUretprobe:
            return skel->progs.probe_uretprobe;
        case ProgramKind::kTracepoint:
            return skel->progs.probe_tracepoint;
        case ProgramKind::kRawTracepoint:
            return skel->progs.probe_raw_tp;
        case ProgramKind::kTpBtf:
            return skel->progs.probe_tp_btf;
        case ProgramKind::kPerfEvent:
            return skel->progs.probe_perf_event;
    }
    return nullptr;
}

}  // namespace

// The uprobe probe attaches here, in our own binary.
extern "C" __attribute__((noinline, used)) void bpfscope_uprobe_probe_target() {
    asm volatile("" ::: "memory");
}

namespace {

// Attaches `program` the way its kind needs; returns 0 or -errno.
int attach_probe(ProgramKind kind, bpf_program* program, BpfLink& link, UniqueFd& perf_fd) {
    bpf_link* raw = nullptr;
    switch (kind) {
        case ProgramKind::kFentry:
        case ProgramKind::kFexit:
        case ProgramKind::kTpBtf:
            raw = bpf_program__attach(program);
            break;
        case ProgramKind::kKprobe:
        case ProgramKind::kKretprobe:
            raw = bpf_program__attach_kprobe(program, kind == ProgramKind::kKretprobe,
                                             kProbeFunction);
            break;
        case ProgramKind::kUprobe:
        case ProgramKind::kUretprobe: {
            LIBBPF_OPTS(bpf_uprobe_opts, options, .retprobe = kind == ProgramKind::kUretprobe,
                        .func_name = "bpfscope_uprobe_probe_target");
            raw = bpf_program__attach_uprobe_opts(program, getpid(), "/proc/self/exe", 0, &options);
            break;
        }
        case ProgramKind::kTracepoint:
            raw = bpf_program__attach_tracepoint(program, "sched", "sched_process_exec");
            break;
        case ProgramKind::kRawTracepoint:
            raw = bpf_program__attach_raw_tracepoint(program, "sched_process_exec");
            break;
        case ProgramKind::kPerfEvent: {
            perf_event_attr attr{};
            attr.type = PERF_TYPE_SOFTWARE;
            attr.size = sizeof attr;
            attr.config = PERF_COUNT_SW_CPU_CLOCK;
            attr.sample_freq = 1;
            attr.freq = 1;
            int fd = int(syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC));
            if (fd < 0)
                return -errno;
            perf_fd.reset(fd);
            raw = bpf_program__attach_perf_event(program, fd);
            break;
        }
    }
    if (!raw)
        return -errno;
    link.reset(raw);
    return 0;
}

Capability probe_uncached(ProgramKind kind) {
    Capability capability;
    capability.kind = kind;
    if (kind == ProgramKind::kTracepoint) {
        const auto& tracefs = ensure_tracefs();
        if (!tracefs.mounted) {
            capability.status = CapabilityStatus::kUnavailable;
            capability.error = ENOENT;
            capability.reason = tracefs.problem;
            return capability;
        }
    }
    CapsSkeleton skel(caps_bpf__open());
    if (!skel) {
        capability.error = errno;
        capability.reason = std::string("cannot open the BPF object: ") + std::strerror(errno);
        return capability;
    }
    bpf_program* wanted = program_for(skel.get(), kind);
    bpf_object* object = skel->obj;
    bpf_program* program;
    bpf_object__for_each_program(program, object)
        bpf_program__set_autoload(program, program == wanted);
    if (kind == ProgramKind::kFentry || kind == ProgramKind::kFexit)
        bpf_program__set_attach_target(wanted, 0, kProbeFunction);
    if (int err = caps_bpf__load(skel.get())) {
        capability.error = -err;
        capability.status = CapabilityStatus::kRefused;
        capability.reason = explain_failure(kind, -err, false);
        return capability;
    }
    BpfLink link;
    UniqueFd perf_fd;
    if (int err = attach_probe(kind, wanted, link, perf_fd)) {
        capability.error = -err;
        capability.status = (-err == ENOENT || -err == EOPNOTSUPP) ? CapabilityStatus::kUnavailable
                                                                   : CapabilityStatus::kRefused;
        capability.reason = explain_failure(kind, -err, true);
        return capability;
    }
    capability.status = CapabilityStatus::kOk;
    capability.reason = "loads and attaches";
    return capability;
}

}  // namespace

const char* program_kind_name(ProgramKind kind) {
    switch (kind) {
        case ProgramKind::kFentry:
            return "fentry";
        case ProgramKind::kFexit:
            return "fexit";
        case ProgramKind::kKprobe:
            return "kprobe";
        case ProgramKind::kKretprobe:
            return "kretprobe";
        case ProgramKind::kUprobe:
            return "uprobe";
        case ProgramKind::kUretprobe:
            return "uretprobe";
        case ProgramKind::kTracepoint:
            return "tracepoint";
        case ProgramKind::kRawTracepoint:
            return "raw_tp";
        case ProgramKind::kTpBtf:
            return "tp_btf";
        case ProgramKind::kPerfEvent:
            return "perf_event";
    }
    return "?";
}

const char* capability_status_name(CapabilityStatus status) {
    switch (status) {
        case CapabilityStatus::kOk:
            return "ok";
        case CapabilityStatus::kRefused:
            return "refused";
        case CapabilityStatus::kUnavailable:
            return "unavailable";
        case CapabilityStatus::kError:
            return "error";
    }
    return "?";
}

std::vector<ProgramKind> all_program_kinds() {
    return {ProgramKind::kFentry,     ProgramKind::kFexit,         ProgramKind::kKprobe,
            ProgramKind::kKretprobe,  ProgramKind::kUprobe,        ProgramKind::kUretprobe,
            ProgramKind::kTracepoint, ProgramKind::kRawTracepoint, ProgramKind::kTpBtf,
            ProgramKind::kPerfEvent};
}

const Capability& probe_capability(ProgramKind kind) {
    static std::mutex mutex;
    static std::map<ProgramKind, Capability> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(kind);
    if (it == cache.end())
        it = cache.emplace(kind, probe_uncached(kind)).first;
    return it->second;
}

const KernelFacts& kernel_facts() {
    static std::optional<KernelFacts> facts;
    if (facts)
        return *facts;
    KernelFacts f;
    struct utsname names {};
    if (uname(&names) == 0)
        f.release = names.release;
    f.btf = path_exists("/sys/kernel/btf/vmlinux");
    f.lockdown = read_lockdown();
    f.kprobe_pmu = path_exists("/sys/bus/event_source/devices/kprobe");
    f.uprobe_pmu = path_exists("/sys/bus/event_source/devices/uprobe");
    std::string stats = read_first_line("/proc/sys/kernel/bpf_stats_enabled");
    f.bpf_stats_enabled = stats.empty() ? -1 : std::atoi(stats.c_str());
    facts = f;
    return *facts;
}

std::string explain_failure(ProgramKind kind, int error, bool during_attach) {
    const KernelFacts& facts = kernel_facts();
    std::string name = program_kind_name(kind);
    std::string code = strerrorname_np(error) ? strerrorname_np(error) : std::to_string(error);
    bool is_kprobe = kind == ProgramKind::kKprobe || kind == ProgramKind::kKretprobe;
    if (is_kprobe && !facts.kprobe_pmu && (error == ENOENT || error == EOPNOTSUPP))
        return "not built into this kernel (no kprobe PMU, CONFIG_KPROBES unset)";
    if ((kind == ProgramKind::kFentry || kind == ProgramKind::kFexit) && !facts.btf)
        return "needs kernel BTF (/sys/kernel/btf/vmlinux is missing)";
    if (error == EPERM || error == EACCES) {
        std::string reason = "refused by kernel (" + code + ")";
        if (!facts.lockdown.empty() && facts.lockdown != "none" && facts.lockdown != "unknown")
            reason += ", lockdown=" + facts.lockdown;
        if (geteuid() != 0)
            reason += "; not running as root";
        return reason;
    }
    if (error == ENOTSUP || error == EOPNOTSUPP || error == EINVAL)
        return std::string(during_attach ? "attach" : "load") + " not supported by this kernel (" +
               code + ")";
    if (error == ENOENT && kind == ProgramKind::kTracepoint)
        return "tracepoint not found (" + code + ")";
    return std::string(during_attach ? "attach failed: " : "load failed: ") + std::strerror(error) +
           " (" + code + ")";
}

}  // namespace bpfscope
