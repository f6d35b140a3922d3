// syscount: which syscalls, how often, how slow, which errors; per process
// with -P; every call slower than --slower MS printed with its arguments.
// Aggregated in the kernel (bpf/syscount.bpf.c); names from the running
// kernel (core/syscall_names.h).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <iostream>
#include <map>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/capabilities.h"
#include "core/map_iteration.h"
#include "core/process_watch.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/syscall_names.h"
#include "core/syscall_table.h"
#include "core/tool_registry.h"
#include "report/json_writer.h"
#include "report/text_writer.h"
#include "syscount.h"
#include "syscount.skel.h"

namespace bpfscope {
namespace {

using SyscountSkeleton = Skeleton<syscount_bpf, syscount_bpf__destroy>;

struct SyscountOptions {
    RunOptions run;
    bool per_process = false, force_raw_tp = false;
    std::vector<uint32_t> pids;
    std::string comm, sort = "count";
    unsigned top = 0;
    double slower_ms = 0;
};

SyscountSkeleton load(const SyscountOptions& o, bool btf) {
    SyscountSkeleton skel(syscount_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the syscount BPF object", errno));
    auto* ro = skel->rodata;
    ro->filter_tgid = !o.pids.empty();
    ro->per_process = o.per_process;
    ro->slower_ns = uint64_t(o.slower_ms * 1e6);
    if (!o.comm.empty()) {
        ro->filter_comm = true;
        strncpy(const_cast<char*>(ro->comm_filter), o.comm.c_str(), SYSCOUNT_COMM_LEN - 1);
    }
    bpf_program* btf_progs[] = {skel->progs.syscount_enter_btf, skel->progs.syscount_exit_btf,
                                skel->progs.syscount_task_exit_btf};
    bpf_program* raw_progs[] = {skel->progs.syscount_enter_raw, skel->progs.syscount_exit_raw,
                                skel->progs.syscount_task_exit_raw};
    for (auto* prog : btf ? raw_progs : btf_progs) bpf_program__set_autoload(prog, false);
    if (btf)
        bpf_map__set_max_entries(skel->maps.entry_by_tid, 1);
    if (int err = syscount_bpf__load(skel.get()))
        throw UserError(errno_message("cannot load the syscount BPF programs", err));
    fill_id_set(bpf_map__fd(skel->maps.tgids), o.pids, "pid");
    return skel;
}

// Sums the per-CPU statistics (deleting them with `reset`) into table rows.
std::vector<SyscallFigures> read_figures(int fd, SyscallNames& names, bool reset) {
    int cpus = libbpf_num_possible_cpus();
    std::vector<syscount_stats> per_cpu(cpus);
    std::vector<syscount_key> keys;
    syscount_key key{}, next{};
    syscount_key* previous = nullptr;
    while (bpf_map_get_next_key(fd, previous, &next) == 0) {
        keys.push_back(next);
        key = next;
        previous = &key;
    }
    std::vector<SyscallFigures> rows;
    for (const auto& k : keys) {
        if (bpf_map_lookup_elem(fd, &k, per_cpu.data()) != 0)
            continue;
        SyscallFigures f;
        f.tgid = k.tgid;
        f.name = names.name(k.nr);
        f.fine_ns.assign(SYSCOUNT_FINE_SLOTS, 0);
        for (const auto& s : per_cpu) {
            f.count += s.count;
            f.errors += s.errors;
            f.timed += s.timed;
            f.total_ns += s.total_ns;
            f.max_ns = std::max<uint64_t>(f.max_ns, s.max_ns);
            for (unsigned i = 0; i < SYSCOUNT_FINE_SLOTS; i++) f.fine_ns[i] += s.fine_ns[i];
            if (f.comm.empty())
                f.comm.assign(s.comm, strnlen(s.comm, sizeof(s.comm)));
        }
        rows.push_back(std::move(f));
        if (reset)
            bpf_map_delete_elem(fd, &k);
    }
    return rows;
}

report::Report collect(syscount_bpf* skel, const SyscountOptions& o, SyscallNames& names,
                       bool reset) {
    names.poll();
    report::Report rep;
    rep.tool = "syscount";
    if (o.run.timestamps)
        rep.timestamp = wall_clock_timestamp();
    auto rows = read_figures(bpf_map__fd(skel->maps.stats), names, reset);
    std::map<std::pair<uint32_t, std::string>, std::string> comms;
    for (const auto& row : rows) comms[{row.tgid, row.name}] = row.comm;
    std::vector<SyscallErrorFigures> errors;
    int errors_fd = bpf_map__fd(skel->maps.errors);
    std::vector<syscount_error_key> read_keys;
    for_each_map_entry<syscount_error_key, uint64_t>(
        errors_fd, [&](const syscount_error_key& k, uint64_t count) {
            std::string name = names.name(k.nr);
            errors.push_back({k.tgid, comms[{k.tgid, name}], name, k.err, count});
            read_keys.push_back(k);
        });
    if (reset)
        for (const auto& k : read_keys) bpf_map_delete_elem(errors_fd, &k);
    auto& section = rep.add_section("syscalls", "syscalls");
    uint64_t calls = 0;
    for (const auto& row : rows) calls += row.count;
    section.add("calls", calls).add("syscalls", uint64_t(rows.size()));
    section.tables.push_back(
        syscall_table(std::move(rows), parse_syscall_sort(o.sort), o.top, o.per_process));
    if (!errors.empty())
        section.tables.push_back(syscall_error_table(std::move(errors), o.per_process));
    auto c = read_percpu_counters(bpf_map__fd(skel->maps.counters), SYSCOUNT_COUNTER_COUNT);
    warn_about_losses(rep, {{"calls not timed: task storage unavailable", c[SYSCOUNT_START_LOST]},
                            {"calls not counted: statistics map full", c[SYSCOUNT_STATS_FULL]},
                            {"errors not broken down by errno: map full", c[SYSCOUNT_ERRORS_FULL]},
                            {"slow calls not printed: ring buffer full", c[SYSCOUNT_SLOW_LOST]},
                            {"32-bit (compat) syscalls not counted", c[SYSCOUNT_COMPAT_SKIPPED]}});
    return rep;
}

// Prints the calls slower than --slower as they arrive, strace -T style.
class SlowCallPrinter {
  public:
    SlowCallPrinter(int ringbuf_fd, SyscallNames& names, bool json) : names_(names), json_(json) {
        ring_ = ring_buffer__new(ringbuf_fd, &SlowCallPrinter::on_event, this, nullptr);
        if (!ring_)
            throw UserError(errno_message("cannot open the slow-call ring buffer", errno));
        timespec mono{}, real{};
        clock_gettime(CLOCK_MONOTONIC, &mono);
        clock_gettime(CLOCK_REALTIME, &real);
        realtime_offset_ns_ = (int64_t(real.tv_sec) - mono.tv_sec) * 1000000000 +
                              (int64_t(real.tv_nsec) - mono.tv_nsec);
    }
    ~SlowCallPrinter() { ring_buffer__free(ring_); }
    void poll() {
        ring_buffer__poll(ring_, 0);
        if (table_.rows.empty())
            return;
        report::Report rep;
        rep.tool = "syscount";
        auto& section = rep.add_section("", "slow_calls");
        section.tables.push_back(std::move(table_));
        json_ ? report::write_json(std::cout, rep) : report::write_text(std::cout, rep);
        std::cout.flush();
        table_ = {};
    }

  private:
    static int on_event(void* self, void* data, size_t size) {
        if (size >= sizeof(syscount_slow_call))
            static_cast<SlowCallPrinter*>(self)->add(*static_cast<syscount_slow_call*>(data));
        return 0;
    }
    void add(const syscount_slow_call& e) {
        if (table_.columns.empty()) {
            table_.columns = {"time", "pid", "tid", "comm", "call", "result", "seconds"};
            table_.header = false;
            table_.formats = {{0, 15}, {1, 7}, {1, 7}, {1, 16}, {1, 0}, {1, 0}, {1, 0, {}, 6}};
        }
        names_.poll();
        int64_t real_ns = int64_t(e.start_ns) + realtime_offset_ns_;
        time_t seconds = real_ns / 1000000000;
        tm local{};
        localtime_r(&seconds, &local);
        char clock[16];
        strftime(clock, sizeof(clock), "%H:%M:%S", &local);
        uint64_t args[SYSCOUNT_ARGS];
        std::copy(std::begin(e.args), std::end(e.args), args);
        std::string call =
            names_.name(e.nr) + "(" + format_syscall_arguments(names_.arguments(e.nr), args) + ")";
        std::string result = e.ret < 0 && e.ret >= -4095 ? "= -1 " + errno_name(int(-e.ret))
                                                         : "= " + std::to_string(e.ret);
        table_.rows.push_back(
            {std::string(clock) + "." + fmt::format("{:06}", real_ns / 1000 % 1000000),
             uint64_t(e.tgid), uint64_t(e.tid),
             std::string(e.comm, strnlen(e.comm, sizeof(e.comm))), call, result,
             double(e.duration_ns) / 1e9});
    }
    ring_buffer* ring_ = nullptr;
    SyscallNames& names_;
    bool json_;
    int64_t realtime_offset_ns_ = 0;
    report::Table table_;
};

int syscount_main(int argc, char** argv) {
    SyscountOptions o;
    ToolOptions cli("syscount",
                    "Count syscalls with their errors and latency (total, avg, p99, max), "
                    "per syscall or per process; print the slow ones");
    cli.run_options(o.run);
    auto& app = cli.app();
    app.add_flag("-P,--process", o.per_process, "One row per process and syscall");
    cli.id_list("-p,--pid", o.pids, "Trace these processes only");
    app.add_option("-c,--comm", o.comm,
                   "Trace tasks with this name only (the name when the call ends)");
    app.add_option("--sort", o.sort, std::string("Sort rows by: ") + kSyscallSortFields)
        ->capture_default_str();
    app.add_option("--top", o.top, "Print only the first N rows (default: all)");
    app.add_option("--slower", o.slower_ms,
                   "Print every call slower than MS milliseconds (pid, comm, arguments, result)")
        ->check(CLI::PositiveNumber);
    app.add_flag("--raw-tp", o.force_raw_tp, "Use the raw_tp fallback even where tp_btf works");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    parse_syscall_sort(o.sort);  // a bad field fails before anything is loaded
    if (o.comm.size() >= SYSCOUNT_COMM_LEN)
        throw UserError("--comm '" + o.comm + "': task names are at most 15 characters", 2);
    require_processes(o.pids);

    bool btf = !o.force_raw_tp && probe_capability(ProgramKind::kTpBtf).ok();
    SyscallNames names;  // its learners attach first: every counted number gets a name
    SyscountSkeleton skel = load(o, btf);
    if (int err = syscount_bpf__attach(skel.get()))
        throw UserError(errno_message("cannot attach to the raw_syscalls tracepoints", err));
    spdlog::info("tracing syscalls ({}), names from {} syscall events of the running kernel",
                 btf ? "tp_btf" : "raw_tp", names.events());
    std::optional<SlowCallPrinter> slow;
    if (o.slower_ms > 0)
        slow.emplace(bpf_map__fd(skel->maps.slow_calls), names, o.run.json);
    ProcessWatch watch(o.pids);
    bool exited = false;
    run_loop(
        o.run,
        [&](bool) {
            if (slow)
                slow->poll();
            report::Report rep = collect(skel.get(), o, names, o.run.interval_s > 0);
            rep.header.push_back({"attach", std::string(btf ? "tp_btf" : "raw_tp"), ""});
            o.run.json ? report::write_json(std::cout, rep) : report::write_text(std::cout, rep);
            std::cout.flush();
        },
        [&] {
            names.poll();
            if (slow)
                slow->poll();
            if (!exited && watch.all_exited()) {
                exited = true;
                request_stop();
            }
        });
    if (exited)
        throw UserError(watch.describe() + " during the run; the report above covers it");
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("syscount", "Syscall counts, errors and latency; slow calls with arguments",
                       syscount_main);

}  // namespace bpfscope
