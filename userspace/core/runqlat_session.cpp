#include "core/runqlat_session.h"

#include <bpf/bpf.h>
#include <string.h>

#include <algorithm>

#include "base/error.h"
#include "base/owners.h"
#include "core/capabilities.h"
#include "core/cgroup_identity.h"
#include "core/map_iteration.h"
#include "core/stack_collect.h"
#include "runqlat.h"
#include "runqlat.skel.h"

namespace bpfscope {

using RunqlatSkeleton = Skeleton<runqlat_bpf, runqlat_bpf__destroy>;

struct RunqlatSession::Impl {
    RunqlatSkeleton skel;
};

RunqlatSession::RunqlatSession(const RunqlatConfig& config)
    : config_(config), impl_(std::make_unique<Impl>()) {
    tp_btf_ = !config.force_raw_tp && probe_capability(ProgramKind::kTpBtf).ok();
    RunqlatSkeleton skel(runqlat_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the runqlat BPF object", errno));
    auto* ro = skel->rodata;
    ro->filter_tgid = !config.pids.empty();
    ro->per_process = config.key == RunqlatConfig::Key::kProcess;
    ro->per_thread = config.key == RunqlatConfig::Key::kThread;
    ro->per_cgroup = config.key == RunqlatConfig::Key::kCgroup;
    ro->per_pidns = config.key == RunqlatConfig::Key::kPidNamespace;
    ro->unit_ns = config.milliseconds ? 1000000 : 1000;
    if (!config.cgroup.empty()) {
        auto [id, level] = cgroup_v2_identity(config.cgroup);
        ro->filter_cgroup = true;
        ro->cgroup_id = id;
        ro->cgroup_level = level;
    }
    bpf_program* btf_progs[] = {skel->progs.runqlat_wakeup_btf, skel->progs.runqlat_wakeup_new_btf,
                                skel->progs.runqlat_switch_btf};
    bpf_program* raw_progs[] = {skel->progs.runqlat_wakeup_raw, skel->progs.runqlat_wakeup_new_raw,
                                skel->progs.runqlat_switch_raw};
    for (auto* prog : tp_btf_ ? raw_progs : btf_progs) bpf_program__set_autoload(prog, false);
    if (tp_btf_)
        bpf_map__set_max_entries(skel->maps.enqueued_at_by_tid, 1);
    bpf_map__set_max_entries(skel->maps.hists, std::max(config.max_histograms, 1u));
    if (int err = runqlat_bpf__load(skel.get()))
        throw UserError(errno_message("cannot load the runqlat BPF programs", err));
    fill_id_set(bpf_map__fd(skel->maps.tgids), config.pids, "pid");
    if (int err = runqlat_bpf__attach(skel.get()))
        throw UserError(
            errno_message("cannot attach to the sched_wakeup/sched_switch tracepoints", err));
    impl_->skel = std::move(skel);
}

RunqlatSession::~RunqlatSession() = default;

std::vector<RunqlatHistogram> RunqlatSession::read(bool reset) {
    int fd = bpf_map__fd(impl_->skel->maps.hists);
    std::vector<std::pair<uint32_t, runqlat_hist>> raw;
    for_each_map_entry<uint32_t, runqlat_hist>(
        fd, [&](uint32_t id, const runqlat_hist& hist) { raw.emplace_back(id, hist); });
    if (reset)
        for (auto& [id, hist] : raw) bpf_map_delete_elem(fd, &id);
    std::sort(raw.begin(), raw.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<RunqlatHistogram> out;
    out.reserve(raw.size());
    for (const auto& [id, hist] : raw) {
        RunqlatHistogram& entry = out.emplace_back();
        entry.id = id;
        entry.comm.assign(hist.comm, strnlen(hist.comm, sizeof(hist.comm)));
        report::Log2Histogram& h = entry.histogram;
        h.unit = config_.milliseconds ? "ms" : "us";
        h.slots.assign(hist.slots, hist.slots + RUNQLAT_SLOTS);
        h.fine_ns.assign(hist.fine_ns, hist.fine_ns + RUNQLAT_FINE_SLOTS);
        h.ns_per_unit = config_.milliseconds ? 1e6 : 1e3;
        h.count = hist.count;
        h.sum = hist.sum;
        h.max = hist.max_ns / uint64_t(h.ns_per_unit);
        h.max_ns = hist.max_ns;
        for (unsigned s = 0; s < RUNQLAT_FINE_SLOTS; ++s)
            if (hist.fine_ns[s]) {
                h.min_ns = report::fine_slot_low(s);
                h.min = h.min_ns / uint64_t(h.ns_per_unit);
                break;
            }
    }
    return out;
}

std::vector<uint64_t> RunqlatSession::counters() const {
    return read_percpu_counters(bpf_map__fd(impl_->skel->maps.counters), RUNQLAT_COUNTER_COUNT);
}

int RunqlatSession::counters_fd() const {
    return bpf_map__fd(impl_->skel->maps.counters);
}

std::vector<int> RunqlatSession::program_fds() const {
    std::vector<int> fds;
    bpf_program* program = nullptr;
    bpf_object__for_each_program(program, impl_->skel->obj) {
        if (bpf_program__autoload(program))
            fds.push_back(bpf_program__fd(program));
    }
    return fds;
}

}  // namespace bpfscope
