#include "memcg/kernel_tracing.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/owners.h"
#include "core/latency_report.h"
#include "core/tracefs.h"
#include "memcg.h"
#include "memcg.skel.h"

namespace bpfscope::memcg {

using report::Data;

const std::vector<PresetFunction>& memcg_function_preset() {
    static const std::vector<PresetFunction> preset = {
        {"read", {"memory_stat_show"}},    // cgroup v2 memory.stat
        {"read", {"memcg_stat_show"}},     // cgroup v1 memory.stat before 6.10
        {"read", {"memcg1_stat_format"}},  // v1 formatting since 6.10 (under memory_stat_show)
        {"rstat", {"mem_cgroup_flush_stats"}},
        {"rstat", {"do_flush_stats", "__mem_cgroup_flush_stats"}},
        {"rstat", {"css_rstat_flush", "cgroup_rstat_flush"}},  // renamed in 6.16
        {"rstat", {"cgroup_rstat_flush_irqsafe"}},             // the memcg flush path before 6.10
        {"rstat", {"cgroup_rstat_flush_locked", "css_rstat_flush_locked"}},
        {"rstat", {"mem_cgroup_css_rstat_flush"}},  // the per-cpu callback ("memcg_rstat_flush")
        {"rstat", {"memcg_page_state"}},
        {"atomic", {"memcg_page_state_atomic_counter_recursive"}},
        {"atomic", {"memcg_page_state_atomic_counter_batch"}},
        {"atomic", {"memcg_atomic_walk"}},
        {"atomic", {"memcg_atomic_visit_batch"}},
        {"atomic", {"memcg_atomic_visit_node"}},
    };
    return preset;
}

std::vector<ResolvedFunction> resolve_function_preset(const symbols::Kallsyms& kallsyms) {
    std::vector<ResolvedFunction> resolved;
    for (const auto& entry : memcg_function_preset()) {
        ResolvedFunction function;
        function.side = entry.side;
        for (const auto& alias : entry.aliases)
            function.label += (function.label.empty() ? "" : "|") + alias;
        for (const auto& alias : entry.aliases) {
            if (kallsyms.contains_function(alias)) {
                function.resolved = alias;
                break;
            }
            // Only a compiler clone ("name.isra.0") is left: measure that.
            auto clones = kallsyms.clones_of(alias);
            if (!clones.empty()) {
                function.resolved = clones.front();
                break;
            }
        }
        if (function.resolved.empty()) {
            function.absent_reason =
                entry.aliases.size() > 1
                    ? "none of these names is in /proc/kallsyms (not on this kernel, or inlined)"
                    : "not in /proc/kallsyms (not on this kernel, or inlined)";
        }
        resolved.push_back(std::move(function));
    }
    // The atomic-counter patches add css_atomic_* helpers; take what is there.
    size_t atomic_helpers = 0;
    for (const auto& name : kallsyms.similar("css_atomic_", 64)) {
        if (name.rfind("css_atomic_", 0) != 0 || atomic_helpers >= 8)
            continue;
        resolved.push_back({"atomic", name, name, ""});
        atomic_helpers++;
    }
    if (atomic_helpers == 0)
        resolved.push_back(
            {"atomic", "css_atomic_*", "", "no css_atomic_* function in /proc/kallsyms"});
    return resolved;
}

void FlushCounters::merge(const FlushCounters& other) {
    flush_attempts += other.flush_attempts;
    real_flushes += other.real_flushes;
    forced += other.forced;
    stats_updates_sum += other.stats_updates_sum;
    stats_updates.merge(other.stats_updates);
    rstat_locked += other.rstat_locked;
    rstat_contended += other.rstat_contended;
}

namespace {

bool tracepoint_exists(const std::string& category, const std::string& event) {
    const auto& tracefs = ensure_tracefs();
    if (!tracefs.mounted)
        return false;
    struct stat st;
    return ::stat((tracefs.path + "/events/" + category + "/" + event).c_str(), &st) == 0;
}

void merge_result(LatencyResult& into, const LatencyResult& other) {
    if (other.count > 0) {
        into.min_ns = into.count == 0 ? other.min_ns : std::min(into.min_ns, other.min_ns);
        into.max_ns = std::max(into.max_ns, other.max_ns);
    }
    into.histogram.merge(other.histogram);
    into.histogram.unit = other.histogram.unit;
    into.histogram.ns_per_unit = other.histogram.ns_per_unit;
    into.count += other.count;
    into.sum_ns += other.sum_ns;
    into.lost_starts += other.lost_starts;
    into.unmatched_exits += other.unmatched_exits;
    into.depth_overflow += other.depth_overflow;
    into.open_calls = other.open_calls;
}

double mean_ns(const LatencyResult& r) {
    return double(r.sum_ns) / double(r.count);
}

Data result_json(const LatencyResult& r) {
    Data j = Data::record({{"count", r.count},
                           {"lost_starts", r.lost_starts},
                           {"unmatched_exits", r.unmatched_exits}});
    if (r.count > 0) {
        j["mean_ns"] = mean_ns(r);
        j["min_ns"] = r.min_ns;
        j["max_ns"] = r.max_ns;
        j["p50_ns"] = r.histogram.percentile(0.50);
        j["p90_ns"] = r.histogram.percentile(0.90);
        j["p99_ns"] = r.histogram.percentile(0.99);
        j["total_ns"] = r.sum_ns;
    }
    return j;
}

Data plan_json(const TargetPlan& plan) {
    Data j = Data::record({{"target", plan.target.text},
                           {"reachable", plan.reachable()},
                           {"not_used", plan.not_used}});
    if (plan.reachable())
        j["backend"] = backend_name(*plan.backend);
    else
        j["unreachable"] = plan.unreachable;
    return j;
}

Data flush_json(const FlushCounters& c, size_t reads) {
    Data j = Data::record(
        {{"flush_attempts", c.flush_attempts},
         {"real_flushes", c.real_flushes},
         {"forced", c.forced},
         {"stats_updates_mean",
          c.flush_attempts ? double(c.stats_updates_sum) / double(c.flush_attempts) : 0.0},
         {"stats_updates_log2_slots", c.stats_updates.slots},
         {"rstat_locked", c.rstat_locked},
         {"rstat_contended", c.rstat_contended}});
    if (reads > 0) {
        j["flush_attempts_per_read"] = double(c.flush_attempts) / double(reads);
        j["real_flushes_per_read"] = double(c.real_flushes) / double(reads);
    }
    return j;
}

}  // namespace

// memcg.bpf.c: flush attempts and rstat lock acquisitions by context.
struct KernelTracing::FlushTracer {
    Skeleton<memcg_bpf, memcg_bpf__destroy> skeleton;
    std::vector<BpfLink> links;
    std::vector<int> program_fds;
    bool flush_attached = false, rstat_attached = false;
    std::string flush_problem, rstat_problem;

    explicit FlushTracer(pid_t reader_pid) {
        bool flush_present = tracepoint_exists("memcg", "memcg_flush_stats");
        bool rstat_present = tracepoint_exists("cgroup", "cgroup_rstat_locked");
        const auto& tracefs = ensure_tracefs();
        std::string why_absent = tracefs.mounted ? "tracepoint not on this kernel"
                                                 : "tracefs not available: " + tracefs.problem;
        if (!flush_present)
            flush_problem = "memcg:memcg_flush_stats: " + why_absent;
        if (!rstat_present)
            rstat_problem = "cgroup:cgroup_rstat_locked: " + why_absent;
        if (!flush_present && !rstat_present)
            return;
        skeleton.reset(memcg_bpf__open());
        if (!skeleton)
            throw UserError(errno_message("opening memcg.bpf.o", errno));
        skeleton->rodata->reader_tgid = uint32_t(reader_pid);
        bpf_program__set_autoload(skeleton->progs.memcg_flush_stats, flush_present);
        bpf_program__set_autoload(skeleton->progs.cgroup_rstat_locked, rstat_present);
        if (int err = memcg_bpf__load(skeleton.get()))
            throw UserError(errno_message("loading memcg.bpf.o (flush tracepoints)", -err) +
                            "; run as root, or pass --no-trace");
        auto attach = [&](bpf_program* program, bool present, bool& attached,
                          std::string& problem) {
            if (!present)
                return;
            bpf_link* link = bpf_program__attach(program);
            if (!link) {
                problem =
                    errno_message(std::string("attaching ") + bpf_program__name(program), errno);
                return;
            }
            links.emplace_back(link);
            program_fds.push_back(bpf_program__fd(program));
            attached = true;
        };
        attach(skeleton->progs.memcg_flush_stats, flush_present, flush_attached, flush_problem);
        attach(skeleton->progs.cgroup_rstat_locked, rstat_present, rstat_attached, rstat_problem);
    }

    std::array<FlushCounters, 2> collect(bool reset) {
        std::array<FlushCounters, 2> totals;
        if (!skeleton)
            return totals;
        int cpus = libbpf_num_possible_cpus();
        if (cpus <= 0)
            return totals;
        std::vector<memcg_flush_counters> per_cpu(static_cast<size_t>(cpus));
        int fd = bpf_map__fd(skeleton->maps.memcg_counters);
        for (uint32_t context = 0; context < MEMCG_CONTEXTS; context++) {
            if (bpf_map_lookup_elem(fd, &context, per_cpu.data()) != 0)
                continue;
            FlushCounters& t = totals[context];
            t.stats_updates.unit = "updates";
            t.stats_updates.slots.assign(MEMCG_SLOTS, 0);
            for (const auto& c : per_cpu) {
                t.flush_attempts += c.flush_attempts;
                t.real_flushes += c.real_flushes;
                t.forced += c.forced;
                t.stats_updates_sum += c.stats_updates_sum;
                for (unsigned s = 0; s < MEMCG_SLOTS; s++)
                    t.stats_updates.slots[s] += c.stats_updates_slots[s];
                t.rstat_locked += c.rstat_locked;
                t.rstat_contended += c.rstat_contended;
            }
            t.stats_updates.count = t.flush_attempts;
            t.stats_updates.sum = t.stats_updates_sum;
            if (reset) {
                std::vector<memcg_flush_counters> zero(static_cast<size_t>(cpus));
                std::memset(zero.data(), 0, zero.size() * sizeof(memcg_flush_counters));
                bpf_map_update_elem(fd, &context, zero.data(), BPF_ANY);
            }
        }
        return totals;
    }
};

KernelTracing::KernelTracing(pid_t reader_pid, const KernelTracingOptions& options)
    : reader_pid_(reader_pid), functions_(resolve_function_preset(symbols::Kallsyms::system())) {
    std::vector<TargetSpec> reader_targets;
    for (const auto& function : functions_)
        if (!function.resolved.empty())
            reader_targets.push_back(parse_target(function.resolved));
    // The read syscall in the kernel, for the reader only (none without a reader).
    if (reader_pid == 0) {
        if (reader_targets.empty())
            throw UserError(
                "no memcg function of the preset is on this kernel: nothing to measure");
    } else if (tracepoint_exists("syscalls", "sys_enter_read")) {
        read_bracket_ = "syscalls:sys_enter_read..syscalls:sys_exit_read";
    } else {
        read_bracket_ = "raw_syscalls:sys_enter..raw_syscalls:sys_exit";
        notes_.push_back(
            "syscalls:sys_enter_read absent (CONFIG_FTRACE_SYSCALLS?): the syscall "
            "bracket times every syscall of the reader (open, read, close)");
    }
    if (!read_bracket_.empty())
        reader_targets.push_back(parse_target(read_bracket_));

    LatencyOptions latency;
    latency.unit = "ns";
    latency.allow_unreachable = true;
    latency.measure_overhead = options.measure_overhead;
    latency.pid = uint32_t(reader_pid);
    try {
        reader_session_ = std::make_unique<LatencySession>(reader_targets, latency);
        latency.pid = 0;
        system_session_ = std::make_unique<LatencySession>(
            std::vector<TargetSpec>{
                parse_target("cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock"),
                parse_target("cgroup:cgroup_rstat_lock_contended..cgroup:cgroup_rstat_locked")},
            latency);
        flush_ = std::make_unique<FlushTracer>(reader_pid);
    } catch (const UserError& error) {
        throw UserError(std::string("kernel-side measurement failed: ") + error.what() +
                        " (pass --no-trace to measure the reader only)");
    }
    reader_total_.resize(reader_session_->plans().size());
    system_total_.resize(system_session_->plans().size());
}

KernelTracing::~KernelTracing() = default;

void KernelTracing::begin_run() {
    reader_session_->collect(true);
    system_session_->collect(true);
    flush_->collect(true);
}

Data KernelTracing::end_run(size_t reads, std::map<std::string, double>& metrics) {
    auto reader = reader_session_->collect(true);
    auto system = system_session_->collect(true);
    auto flush = flush_->collect(true);
    double per = reads ? 1.0 / double(reads) : 0.0;
    Data functions = Data::list();
    const auto& plans = reader_session_->plans();
    Data read_syscall;
    for (size_t i = 0; i < plans.size(); i++) {
        merge_result(reader_total_[i], reader[i]);
        if (!plans[i].reachable())
            continue;
        Data j = result_json(reader[i]);
        j["target"] = plans[i].target.text;
        j["per_read"] = double(reader[i].count) * per;
        if (!read_bracket_.empty() && plans[i].target.text == read_bracket_) {
            read_syscall = j;
            metrics["read_syscalls_per_read"] = double(reader[i].count) * per;
            if (reader[i].count) {
                metrics["read_syscall_mean_ns"] = mean_ns(reader[i]);
                metrics["read_syscall_p50_ns"] = reader[i].histogram.percentile(0.50);
            }
            continue;
        }
        functions.push_back(j);
        metrics["calls_per_read." + plans[i].target.text] = double(reader[i].count) * per;
        if (reader[i].count)
            metrics["mean_ns." + plans[i].target.text] = mean_ns(reader[i]);
    }
    for (size_t i = 0; i < system.size(); i++) merge_result(system_total_[i], system[i]);
    for (size_t c = 0; c < flush.size(); c++) flush_total_[c].merge(flush[c]);
    Data lock_hold = result_json(system[0]), lock_wait = result_json(system[1]);
    if (system_session_->plans()[0].reachable()) {
        metrics["rstat_lock_holds_per_read"] = double(system[0].count) * per;
        if (system[0].count)
            metrics["rstat_lock_hold_mean_ns"] = mean_ns(system[0]);
    }
    if (flush_->flush_attached) {
        metrics["flush_attempts_per_read"] = double(flush[0].flush_attempts) * per;
        metrics["real_flushes_per_read"] = double(flush[0].real_flushes) * per;
    }
    return Data::record({{"functions", functions},
                         {"read_syscall", read_syscall},
                         {"rstat_lock_hold", lock_hold},
                         {"rstat_lock_wait", lock_wait},
                         {"flush", Data::record({{"reader", flush_json(flush[0], reads)},
                                                 {"other", flush_json(flush[1], 0)}})}});
}

Data KernelTracing::summary(size_t total_reads) const {
    Data targets = Data::list();
    size_t plan_index = 0;
    const auto& plans = reader_session_->plans();
    for (const auto& function : functions_) {
        Data j = Data::record({{"function", function.label}, {"side", function.side}});
        if (function.resolved.empty()) {
            j["present"] = false;
            j["reason"] = function.absent_reason;
        } else {
            const TargetPlan& plan = plans[plan_index];
            const LatencyResult& total = reader_total_[plan_index];
            plan_index++;
            j["present"] = true;
            j["resolved"] = function.resolved;
            Data plan_fields = plan_json(plan);
            for (const auto& [key, value] : *plan_fields.as_record()) j[key] = value;
            if (plan.reachable()) {
                j["result"] = result_json(total);
                if (total_reads)
                    j["calls_per_read"] = double(total.count) / double(total_reads);
            }
        }
        targets.push_back(j);
    }
    auto bracket = [&](const TargetPlan& plan, const LatencyResult& total) {
        Data j = plan_json(plan);
        if (plan.reachable())
            j["result"] = result_json(total);
        return j;
    };
    ProgramRunStats overhead = reader_session_->overhead();
    ProgramRunStats system_overhead = system_session_->overhead();
    ProgramRunStats flush_overhead = sum_program_stats(flush_->program_fds);
    uint64_t runs = overhead.run_count + system_overhead.run_count + flush_overhead.run_count;
    uint64_t time = overhead.run_time_ns + system_overhead.run_time_ns + flush_overhead.run_time_ns;
    bool known = reader_session_->overhead_known();
    Data overhead_json = Data::record({{"known", known}});
    if (known) {
        overhead_json["program_runs"] = runs;
        overhead_json["program_time_ns"] = time;
        overhead_json["per_run_ns"] = runs ? double(time) / double(runs) : 0.0;
        if (total_reads)
            overhead_json["per_read_ns"] = double(time) / double(total_reads);
    }
    FlushCounters all = flush_total_[0];
    all.merge(flush_total_[1]);
    return Data::record(
        {{"functions", targets},
         {"read_syscall",
          read_bracket_.empty() ? Data() : bracket(plans.back(), reader_total_.back())},
         {"rstat_lock_hold", bracket(system_session_->plans()[0], system_total_[0])},
         {"rstat_lock_wait", bracket(system_session_->plans()[1], system_total_[1])},
         {"flush_tracepoint",
          Data::record({{"attached", flush_->flush_attached}, {"problem", flush_->flush_problem}})},
         {"rstat_tracepoint",
          Data::record({{"attached", flush_->rstat_attached}, {"problem", flush_->rstat_problem}})},
         {"flush", Data::record({{"reader", flush_json(flush_total_[0], total_reads)},
                                 {"other", flush_json(flush_total_[1], 0)}})},
         {"overhead", overhead_json},
         {"notes", notes_}});
}

report::Report KernelTracing::text_report(size_t total_reads) const {
    report::Report out;
    out.tool = "memcg";
    const auto& plans = reader_session_->plans();
    double per = total_reads ? 1.0 / double(total_reads) : 0.0;

    // The flush path by function: one table, backend or reason per row.
    report::Section& functions = out.add_section(
        reader_pid_ ? "flush path by function (reader only)" : "flush path by function (all tasks)",
        "functions");
    report::Table table{"", {"function", "side", "backend", "calls/read", "mean ns", "p99 ns"}, {}};
    size_t plan_index = 0;
    std::map<std::string, std::vector<std::string>> reasons;
    for (const auto& function : functions_) {
        if (function.resolved.empty()) {
            table.rows.push_back(
                {function.label, function.side, std::string("absent"), {}, {}, {}});
            reasons["absent: " + function.absent_reason].push_back(function.label);
            continue;
        }
        const TargetPlan& plan = plans[plan_index];
        const LatencyResult& total = reader_total_[plan_index];
        plan_index++;
        if (!plan.reachable()) {
            table.rows.push_back(
                {function.resolved, function.side, std::string("unreachable"), {}, {}, {}});
            reasons["unreachable: " + plan.unreachable].push_back(function.resolved);
            continue;
        }
        table.rows.push_back(
            {function.resolved, function.side, std::string(backend_name(*plan.backend)),
             double(total.count) * per,
             total.count ? report::Value(double(total.sum_ns) / double(total.count))
                         : report::Value(),
             total.count ? report::Value(total.histogram.percentile(0.99)) : report::Value()});
    }
    functions.tables.push_back(table);
    // One note per distinct reason, naming the functions it applies to.
    for (const auto& [reason, names] : reasons) {
        std::string list;
        for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
        functions.notes.push_back(reason + " (" + list + ")");
    }

    report::Section& flush = out.add_section("memcg:memcg_flush_stats (flush attempts)", "flush");
    if (!flush_->flush_attached) {
        flush.add("attached", false);
        flush.notes.push_back(flush_->flush_problem);
    } else {
        const FlushCounters& r = flush_total_[0];
        const FlushCounters& o = flush_total_[1];
        flush.add("reader_attempts", r.flush_attempts);
        flush.add("reader_real_flushes", r.real_flushes);
        flush.add("attempts_per_read", double(r.flush_attempts) * per);
        flush.add("real_flushes_per_read", double(r.real_flushes) * per);
        flush.add("reader_forced", r.forced);
        flush.add("other_attempts", o.flush_attempts);
        flush.add("other_real_flushes", o.real_flushes);
        flush.add("stats_updates_mean",
                  r.flush_attempts ? double(r.stats_updates_sum) / double(r.flush_attempts) : 0.0);
        flush.notes.push_back(
            "real flush = force || needs_flush; histogram: stats_updates pending "
            "at the reader's attempts");
        flush.histogram = r.stats_updates;
    }
    if (flush_->rstat_attached) {
        report::Section& lock = out.add_section(
            "rstat lock acquisitions (cgroup:cgroup_rstat_locked)", "rstat_lock_count");
        lock.add("reader_locked", flush_total_[0].rstat_locked);
        lock.add("reader_contended", flush_total_[0].rstat_contended);
        lock.add("other_locked", flush_total_[1].rstat_locked);
        lock.add("other_contended", flush_total_[1].rstat_contended);
    }
    auto add_bracket = [&](const TargetPlan& plan, const LatencyResult& total,
                           const std::string& what) {
        report::Section section = latency_section(plan, total, "ns");
        section.title = what + ": " + section.title;
        out.sections.push_back(section);
    };
    if (!read_bracket_.empty())
        add_bracket(plans.back(), reader_total_.back(), "read syscall in the kernel (reader only)");
    add_bracket(system_session_->plans()[0], system_total_[0], "rstat lock hold (all tasks)");
    add_bracket(system_session_->plans()[1], system_total_[1], "rstat lock wait (all tasks)");
    if (!out.sections.empty() && system_session_->plans()[1].reachable())
        out.sections.back().notes.push_back(
            "unmatched_exits here are uncontended acquisitions (locked without contended)");
    // Every function with a backend, with its histogram.
    plan_index = 0;
    for (const auto& function : functions_) {
        if (function.resolved.empty())
            continue;
        const TargetPlan& plan = plans[plan_index];
        if (plan.reachable())
            out.sections.push_back(latency_section(plan, reader_total_[plan_index], "ns"));
        plan_index++;
    }
    ProgramRunStats stats = reader_session_->overhead();
    ProgramRunStats system_stats = system_session_->overhead();
    ProgramRunStats flush_stats = sum_program_stats(flush_->program_fds);
    stats.run_count += system_stats.run_count + flush_stats.run_count;
    stats.run_time_ns += system_stats.run_time_ns + flush_stats.run_time_ns;
    report::Section overhead = overhead_section(stats, reader_session_->overhead_known());
    if (reader_session_->overhead_known() && total_reads)
        overhead.add("per_read", double(stats.run_time_ns) * per, "ns");
    out.sections.push_back(overhead);
    for (const auto& note : notes_) out.warnings.push_back(note);
    return out;
}

}  // namespace bpfscope::memcg
