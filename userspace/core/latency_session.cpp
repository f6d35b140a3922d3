#include "core/latency_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "base/error.h"
#include "base/expected.h"
#include "base/owners.h"
#include "core/capabilities.h"
#include "core/map_iteration.h"
#include "core/tracefs.h"
#include "core/user_binary.h"
#include "funclatency.skel.h"
#include "latency.h"
#include "symbols/kallsyms.h"

namespace bpfscope {

const char* backend_name(Backend backend) {
    switch (backend) {
        case Backend::kFentry:
            return "fentry";
        case Backend::kKprobe:
            return "kprobe";
        case Backend::kUprobe:
            return "uprobe";
        case Backend::kTracepoint:
            return "tracepoint";
    }
    return "?";
}

std::optional<Backend> parse_backend(const std::string& name) {
    if (name == "fentry" || name == "fexit")
        return Backend::kFentry;
    if (name == "kprobe" || name == "kretprobe")
        return Backend::kKprobe;
    if (name == "uprobe" || name == "uretprobe")
        return Backend::kUprobe;
    if (name == "tracepoint" || name == "raw_tp")
        return Backend::kTracepoint;
    return std::nullopt;
}

std::vector<Backend> candidate_backends(TargetSpec::Type type) {
    switch (type) {
        case TargetSpec::Type::kKernelFunction:
            return {Backend::kFentry, Backend::kKprobe};
        case TargetSpec::Type::kUserFunction:
            return {Backend::kUprobe};
        case TargetSpec::Type::kTracepointBracket:
            return {Backend::kTracepoint};
    }
    return {};
}

uint64_t unit_divisor(const std::string& unit) {
    if (unit == "ns")
        return 1;
    if (unit == "us")
        return 1000;
    if (unit == "ms")
        return 1000000;
    throw UserError("unknown unit '" + unit + "': use ns, us or ms");
}

namespace {

using FunclatencySkeleton = Skeleton<funclatency_bpf, funclatency_bpf__destroy>;

struct Instance {
    FunclatencySkeleton skel;
    std::vector<BpfLink> links;  // destroyed before the skeleton: detach, then unload
    std::vector<int> program_fds;
};

std::pair<ProgramKind, ProgramKind> program_kinds(Backend backend) {
    switch (backend) {
        case Backend::kFentry:
            return {ProgramKind::kFentry, ProgramKind::kFexit};
        case Backend::kKprobe:
            return {ProgramKind::kKprobe, ProgramKind::kKretprobe};
        case Backend::kUprobe:
            return {ProgramKind::kUprobe, ProgramKind::kUretprobe};
        case Backend::kTracepoint:
            return {ProgramKind::kRawTracepoint, ProgramKind::kRawTracepoint};
    }
    return {ProgramKind::kRawTracepoint, ProgramKind::kRawTracepoint};
}

void configure(funclatency_bpf* skel, const LatencyOptions& options, uint32_t target_id,
               bool cgroup) {
    skel->rodata->latency_filter_tgid = options.pid;
    skel->rodata->latency_filter_cgroup = cgroup;
    skel->rodata->latency_unit_divisor = unit_divisor(options.unit);
    skel->rodata->target_id = target_id;
    bpf_map__set_max_entries(skel->maps.latency_starts, options.start_map_entries);
}

bool tracepoint_exists(const std::string& category, const std::string& event) {
    const auto& tracefs = ensure_tracefs();
    if (!tracefs.mounted)
        return true;  // cannot tell here; the attach will say
    struct stat st {};
    return stat((tracefs.path + "/events/" + category + "/" + event).c_str(), &st) == 0;
}

// Whether the kernel runs both programs of a backend at all (probed once).
Expected<> capable(Backend backend) {
    auto [start_kind, end_kind] = program_kinds(backend);
    for (ProgramKind kind : {start_kind, end_kind}) {
        const Capability& capability = probe_capability(kind);
        if (!capability.ok())
            return unexpected(capability.reason);
    }
    return {};
}

}  // namespace

struct LatencySession::Impl {
    FunclatencySkeleton master;
    UniqueFd cgroup_fd;
    std::vector<std::unique_ptr<Instance>> instances;  // parallel to plans_, null when unreachable
    int possible_cpus = 1;

    // Loads and attaches one target with one backend, or says why it could not.
    // perf_tracepoint: brackets through classic (perf) tracepoints instead of raw ones.
    Expected<> try_backend(TargetPlan& plan, Backend backend, uint32_t target_id,
                           const LatencyOptions& options, bool perf_tracepoint = false);
};

Expected<> LatencySession::Impl::try_backend(TargetPlan& plan, Backend backend, uint32_t target_id,
                                             const LatencyOptions& options, bool perf_tracepoint) {
    auto [start_kind, end_kind] = program_kinds(backend);
    auto instance = std::make_unique<Instance>();
    instance->skel.reset(funclatency_bpf__open());
    if (!instance->skel)
        return unexpected(errno_message("cannot open the BPF object", errno));
    funclatency_bpf* skel = instance->skel.get();
    configure(skel, options, target_id, cgroup_fd.valid());
    bpf_map__reuse_fd(skel->maps.latency_starts, bpf_map__fd(master->maps.latency_starts));
    bpf_map__reuse_fd(skel->maps.latency_stats_map, bpf_map__fd(master->maps.latency_stats_map));
    bpf_map__reuse_fd(skel->maps.latency_cgroup_filter,
                      bpf_map__fd(master->maps.latency_cgroup_filter));

    bpf_program *start = nullptr, *end = nullptr;
    switch (backend) {
        case Backend::kFentry:
            start = skel->progs.fentry_start, end = skel->progs.fexit_end;
            break;
        case Backend::kKprobe:
            start = skel->progs.kprobe_start, end = skel->progs.kretprobe_end;
            break;
        case Backend::kUprobe:
            start = skel->progs.uprobe_start, end = skel->progs.uretprobe_end;
            break;
        case Backend::kTracepoint:
            start =
                perf_tracepoint ? skel->progs.perf_tracepoint_start : skel->progs.tracepoint_start;
            end = perf_tracepoint ? skel->progs.perf_tracepoint_end : skel->progs.tracepoint_end;
            break;
    }
    if (perf_tracepoint)
        start_kind = end_kind = ProgramKind::kTracepoint;
    bpf_program* program;
    bpf_object__for_each_program(program, skel->obj) {
        bpf_program__set_autoload(program, program == start || program == end);
    }
    if (backend == Backend::kFentry) {
        bpf_program__set_attach_target(start, 0, plan.target.function.c_str());
        bpf_program__set_attach_target(end, 0, plan.target.function.c_str());
    }
    if (int err = funclatency_bpf__load(skel))
        return unexpected(explain_failure(start_kind, -err, false));

    // The end hook first: a call already in flight then shows up as an
    // unmatched end instead of a start that never ends.
    auto attach = [&](bpf_program* prog, bool is_end) -> Expected<> {
        bpf_link* link = nullptr;
        const TargetSpec& target = plan.target;
        switch (backend) {
            case Backend::kFentry:
                link = bpf_program__attach(prog);
                break;
            case Backend::kKprobe:
                link = bpf_program__attach_kprobe(prog, is_end, target.function.c_str());
                break;
            case Backend::kUprobe: {
                LIBBPF_OPTS(bpf_uprobe_opts, uprobe_options, .retprobe = is_end,
                            .func_name = target.function.c_str());
                link = bpf_program__attach_uprobe_opts(prog, options.pid ? int(options.pid) : -1,
                                                       plan.resolved_binary.c_str(), 0,
                                                       &uprobe_options);
                break;
            }
            case Backend::kTracepoint:
                if (perf_tracepoint)
                    link = bpf_program__attach_tracepoint(
                        prog, (is_end ? target.end_category : target.start_category).c_str(),
                        (is_end ? target.end_event : target.start_event).c_str());
                else
                    link = bpf_program__attach_raw_tracepoint(
                        prog, (is_end ? target.end_event : target.start_event).c_str());
                break;
        }
        if (!link) {
            int err = errno;
            if (backend == Backend::kUprobe && err == ENOENT)
                return unexpected("function '" + target.function + "' not found in " +
                                  plan.resolved_binary);
            return unexpected(explain_failure(is_end ? end_kind : start_kind, err, true));
        }
        instance->links.emplace_back(link);
        return {};
    };
    if (auto attached = attach(end, true); !attached)
        return attached;
    if (start != end) {
        if (auto attached = attach(start, false); !attached)
            return attached;
    }
    instance->program_fds = {bpf_program__fd(start), bpf_program__fd(end)};
    instances[target_id] = std::move(instance);
    return {};
}

LatencySession::LatencySession(std::vector<TargetSpec> targets, LatencyOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    if (targets.empty())
        throw UserError("no target given: name at least one function or tracepoint bracket");
    if (targets.size() > LATENCY_MAX_TARGETS)
        throw UserError("too many targets (" + std::to_string(targets.size()) + "): at most " +
                        std::to_string(LATENCY_MAX_TARGETS) + " in one run");
    if (options_.start_map_entries == 0)
        throw UserError("--start-map-size must be at least 1");
    unit_divisor(options_.unit);  // validates
    if (options_.measure_overhead)
        stats_scope_.emplace();
    impl_->possible_cpus = libbpf_num_possible_cpus();

    // The master instance loads no program: it owns the shared maps.
    impl_->master.reset(funclatency_bpf__open());
    if (!impl_->master)
        throw UserError(errno_message("cannot open the BPF object", errno));
    if (!options_.cgroup_path.empty()) {
        impl_->cgroup_fd.reset(
            open(options_.cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!impl_->cgroup_fd)
            throw UserError(
                errno_message("cannot open cgroup '" + options_.cgroup_path + "'", errno));
        struct statfs fs {};
        if (fstatfs(impl_->cgroup_fd.get(), &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
            throw UserError("-c needs a cgroup v2 directory; '" + options_.cgroup_path +
                            "' is not on cgroup2 (e.g. use a path under /sys/fs/cgroup/unified)");
    }
    configure(impl_->master.get(), options_, 0, impl_->cgroup_fd.valid());
    bpf_program* program;
    bpf_object__for_each_program(program, impl_->master->obj)
        bpf_program__set_autoload(program, false);
    if (int err = funclatency_bpf__load(impl_->master.get()))
        throw UserError(errno_message("cannot create the BPF maps", -err));
    if (impl_->cgroup_fd) {
        uint32_t key = 0;
        int fd = impl_->cgroup_fd.get();
        if (bpf_map_update_elem(bpf_map__fd(impl_->master->maps.latency_cgroup_filter), &key, &fd,
                                BPF_ANY))
            throw UserError(errno_message("cannot set the cgroup filter", errno));
    }

    impl_->instances.resize(targets.size());
    for (uint32_t id = 0; id < targets.size(); id++) {
        TargetPlan plan;
        plan.target = targets[id];
        const TargetSpec& target = plan.target;
        auto candidates = candidate_backends(target.type);
        if (options_.forced_backend) {
            if (std::find(candidates.begin(), candidates.end(), *options_.forced_backend) ==
                candidates.end())
                throw UserError(std::string("--backend ") + backend_name(*options_.forced_backend) +
                                " cannot measure " + target_type_name(target.type) + " '" +
                                target.text + "' (it takes " + backend_name(candidates.front()) +
                                ")");
            candidates = {*options_.forced_backend};
        }
        // Make sure the target exists before blaming a backend.
        if (target.type == TargetSpec::Type::kKernelFunction) {
            const auto& kallsyms = symbols::Kallsyms::system();
            if (!kallsyms.contains_function(target.function)) {
                plan.unreachable = "kernel function '" + target.function +
                                   "' not found in kallsyms (inlined or renamed?)";
                plan.suggestions = kallsyms.clones_of(target.function);
                for (auto& name : kallsyms.similar(target.function, 5))
                    if (plan.suggestions.size() < 5 &&
                        std::find(plan.suggestions.begin(), plan.suggestions.end(), name) ==
                            plan.suggestions.end())
                        plan.suggestions.push_back(name);
            }
        } else if (target.type == TargetSpec::Type::kUserFunction) {
            try {
                plan.resolved_binary = resolve_user_binary(target.binary, options_.pid);
            } catch (const UserError& error) {
                plan.unreachable = error.what();
            }
        } else {
            for (auto [category, event] : {std::pair{target.start_category, target.start_event},
                                           std::pair{target.end_category, target.end_event}}) {
                if (plan.unreachable.empty() && !tracepoint_exists(category, event))
                    plan.unreachable =
                        "tracepoint " + category + ":" + event + " not found on this kernel";
            }
        }
        for (Backend backend : plan.unreachable.empty() ? candidates : std::vector<Backend>{}) {
            Expected<> attached = capable(backend);
            if (attached)
                attached = impl_->try_backend(plan, backend, id, options_);
            if (!attached && backend == Backend::kTracepoint) {
                // Not a raw tracepoint (e.g. syscalls:*): the classic tracepoint reaches it.
                Expected<> perf = impl_->try_backend(plan, backend, id, options_, true);
                if (perf)
                    plan.not_used.push_back("raw_tp: " + attached.reason() +
                                            "; attached as a perf tracepoint");
                attached = perf ? Expected<>{}
                                : unexpected("raw_tp: " + attached.reason() +
                                             "; perf tracepoint: " + perf.reason());
            }
            if (attached) {
                plan.backend = backend;
                break;
            }
            plan.not_used.push_back(std::string(backend_name(backend)) +
                                    (options_.forced_backend ? " (forced with --backend)" : "") +
                                    ": " + attached.reason());
        }
        if (!plan.backend && plan.unreachable.empty()) {
            plan.unreachable = "no backend can reach it here";
            for (const auto& reason : plan.not_used) plan.unreachable += "; " + reason;
        }
        plans_.push_back(std::move(plan));
    }
    if (!options_.allow_unreachable) {
        auto unreachable = std::count_if(plans_.begin(), plans_.end(),
                                         [](const TargetPlan& p) { return !p.reachable(); });
        for (const auto& plan : plans_) {
            if (plan.reachable())
                continue;
            std::string message = "cannot measure '" + plan.target.text + "': " + plan.unreachable;
            if (!plan.suggestions.empty()) {
                message += "; similar names:";
                for (const auto& name : plan.suggestions) message += " " + name;
            }
            if (unreachable > 1)
                message +=
                    " (and " + std::to_string(unreachable - 1) + " more unreachable target(s))";
            throw UserError(message);
        }
    }
}

LatencySession::~LatencySession() = default;

std::vector<LatencyResult> LatencySession::collect(bool reset) {
    std::vector<LatencyResult> results(plans_.size());
    const int cpus = impl_->possible_cpus;
    std::vector<latency_stats> per_cpu(static_cast<size_t>(cpus));
    int stats_fd = bpf_map__fd(impl_->master->maps.latency_stats_map);

    // Calls still open per target (in flight, or their thread ended first).
    std::map<uint32_t, uint64_t> open_calls;
    for_each_map_entry<latency_thread_key, latency_thread_state>(
        bpf_map__fd(impl_->master->maps.latency_starts),
        [&](const latency_thread_key& key, const latency_thread_state& state) {
            open_calls[key.target_id] += state.depth;
        });

    for (uint32_t id = 0; id < plans_.size(); id++) {
        if (!plans_[id].reachable())
            continue;
        LatencyResult& result = results[id];
        result.histogram.unit = options_.unit;
        result.histogram.slots.assign(report::kLog2Slots, 0);
        result.histogram.fine_ns.assign(report::kFineSlots, 0);
        result.histogram.ns_per_unit = double(unit_divisor(options_.unit));
        if (bpf_map_lookup_elem(stats_fd, &id, per_cpu.data()) != 0)
            continue;
        for (const auto& cpu : per_cpu) {
            for (unsigned slot = 0; slot < LATENCY_SLOTS && slot < report::kLog2Slots; slot++)
                result.histogram.slots[slot] += cpu.slots[slot];
            for (unsigned slot = 0; slot < LATENCY_FINE_SLOTS && slot < report::kFineSlots; slot++)
                result.histogram.fine_ns[slot] += cpu.fine_ns[slot];
            if (cpu.count > 0) {
                result.min_ns =
                    result.count == 0 ? cpu.min_ns : std::min<uint64_t>(result.min_ns, cpu.min_ns);
                result.max_ns = std::max<uint64_t>(result.max_ns, cpu.max_ns);
            }
            result.count += cpu.count;
            result.sum_ns += cpu.sum_ns;
            result.lost_starts += cpu.lost_starts;
            result.unmatched_exits += cpu.unmatched_exits;
            result.depth_overflow += cpu.depth_overflow;
        }
        uint64_t divisor = unit_divisor(options_.unit);
        result.histogram.count = result.count;
        result.histogram.sum = result.sum_ns / divisor;
        result.histogram.min = result.min_ns / divisor;
        result.histogram.max = result.max_ns / divisor;
        result.histogram.min_ns = result.min_ns;
        result.histogram.max_ns = result.max_ns;
        result.open_calls = open_calls[id];
        if (reset) {
            std::vector<latency_stats> zeros(static_cast<size_t>(cpus));
            bpf_map_update_elem(stats_fd, &id, zeros.data(), BPF_ANY);
        }
    }
    return results;
}

ProgramRunStats LatencySession::overhead() const {
    std::vector<int> fds;
    for (const auto& instance : impl_->instances)
        if (instance)
            fds.insert(fds.end(), instance->program_fds.begin(), instance->program_fds.end());
    return sum_program_stats(fds);
}

}  // namespace bpfscope
