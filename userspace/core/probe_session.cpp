#include "core/probe_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "base/error.h"
#include "base/expected.h"
#include "base/logging.h"
#include "base/owners.h"
#include "core/capabilities.h"
#include "core/map_iteration.h"
#include "core/probe_fields.h"
#include "core/probe_resolve.h"
#include "core/stack_collect.h"
#include "probe.h"
#include "probe.skel.h"

namespace bpfscope {

namespace {

using ProbeSkeleton = Skeleton<probe_bpf, probe_bpf__destroy>;

struct RingBufferDeleter {
    void operator()(ring_buffer* ring) const { ring_buffer__free(ring); }
};

TargetSpec::Type target_type(const ProbeSpec& spec) {
    if (spec.is_kernel_function())
        return TargetSpec::Type::kKernelFunction;
    if (spec.kind == ProbeSpec::Kind::kTracepoint)
        return TargetSpec::Type::kTracepointBracket;
    return TargetSpec::Type::kUserFunction;
}

uint8_t bpf_op(CompareOp op) {
    switch (op) {
        case CompareOp::kEq:
            return PROBE_EQ;
        case CompareOp::kNe:
            return PROBE_NE;
        case CompareOp::kLt:
            return PROBE_LT;
        case CompareOp::kLe:
            return PROBE_LE;
        case CompareOp::kGt:
            return PROBE_GT;
        case CompareOp::kGe:
            return PROBE_GE;
        case CompareOp::kPrefix:
            return PROBE_PREFIX;
    }
    return PROBE_EQ;
}

constexpr size_t kEventsPerPoll = 65536;

uint32_t round_up_power_of_two(size_t bytes) {
    uint32_t size = 4096;
    while (size < bytes && size < (1u << 30)) size <<= 1;
    return size;
}

Expected<> capable(ProgramKind kind) {
    const Capability& capability = probe_capability(kind);
    if (!capability.ok())
        return unexpected(capability.reason);
    return {};
}

// Does the point's recipe read the tracepoint record (then only a perf
// tracepoint, whose context is the record, can serve it)?
bool reads_record(const probe_point_config& config) {
    auto record = [](const probe_field& f) {
        return f.source == PROBE_SOURCE_RECORD || f.source == PROBE_SOURCE_DATA_LOC;
    };
    for (uint32_t i = 0; i < config.field_count; i++)
        if (record(config.fields[i]))
            return true;
    for (uint32_t i = 0; i < config.filter_count; i++)
        if (record(config.filters[i].field))
            return true;
    return false;
}

}  // namespace

struct ProbeSession::Impl {
    ProbeOptions options;
    std::vector<ProbePoint> points;
    std::vector<ResolvedProbe> resolved;
    std::vector<std::vector<ResolvedField>> fields;  // per point, per options.fields
    std::vector<probe_point_config> configs;
    std::vector<int> string_slot;  // per options.fields: its string slot, -1: not a string
    ProbeSkeleton master;
    std::vector<ProbeSkeleton> instances;  // fentry/fexit and raw_tp: one per point
    UniqueFd cgroup_fd;
    std::unique_ptr<ring_buffer, RingBufferDeleter> ring;
    std::vector<BpfLink> links;  // declared last: destroyed first (detach, then unload)
    const std::function<void(const ProbeEvent&)>* on_event = nullptr;
    size_t events_this_poll = 0;
    int cpus = 1;
    uint64_t negative_values = 0;
    bool kprobe_multi_loaded = false;

    void configure(probe_bpf* skel, uint32_t fixed_point) const;
    void validate_options() const;
    void resolve_points();
    void resolve_fields();
    void load_master();
    int try_load_master(bool with_multi);
    void attach_all();
    Expected<> attach_kernel(size_t point, Backend backend);
    Expected<> attach_fentry(size_t point);
    Expected<> attach_kprobe_multi(const std::vector<size_t>& points, bool is_return);
    Expected<> attach_tracepoint(size_t point);
    Expected<> attach_user(size_t point);
    ProbeSkeleton open_instance(uint32_t fixed_point);
    static int on_ring_event(void* self, void* data, size_t size);
};

void ProbeSession::Impl::validate_options() const {
    if (options.probes.empty())
        throw UserError("no probe given: name a function, LIB:FUNC or t:CAT:NAME");
    if (options.fields.size() > PROBE_MAX_FIELDS)
        throw UserError("too many fields (" + std::to_string(options.fields.size()) +
                        "): at most " + std::to_string(PROBE_MAX_FIELDS) + " per event");
    if (options.filter.comparisons.size() > PROBE_MAX_FILTERS)
        throw UserError("too many comparisons in the filter: at most " +
                        std::to_string(PROBE_MAX_FILTERS) + " joined by &&");
    if (options.string_bytes == 0 || options.string_bytes > PROBE_STRING_MAX)
        throw UserError("string length " + std::to_string(options.string_bytes) +
                        " out of range: 1.." + std::to_string(PROBE_STRING_MAX));
    if ((options.mode == ProbeMode::kHistogram || options.mode == ProbeMode::kValueCount) &&
        options.fields.size() != 1)
        throw UserError("a histogram or value count takes exactly one field");
    if (options.max_entries == 0)
        throw UserError("the aggregation map needs at least 1 entry");
    if (options.comm.size() >= PROBE_COMM_LEN)
        spdlog::warn(
            "comm '{}' is longer than the kernel keeps (15): comparing its first 15 "
            "characters",
            options.comm);
}

void ProbeSession::Impl::resolve_points() {
    ResolveOptions resolve_options;
    resolve_options.pid = options.pids.size() == 1 ? options.pids[0] : 0;
    resolve_options.max_matches = options.max_matches;
    for (const auto& text : options.probes) {
        ProbeSpec spec = parse_probe_spec(text);
        for (auto& probe : resolve_probe(spec, resolve_options)) {
            ProbePoint point;
            point.name = probe.name;
            point.spec = spec;
            point.plan.target.text = probe.name;
            point.plan.target.type = target_type(spec);
            point.plan.target.function = probe.function;
            point.plan.target.binary = spec.binary;
            point.plan.resolved_binary = probe.binary_path;
            points.push_back(std::move(point));
            resolved.push_back(std::move(probe));
        }
        if (points.size() > options.max_matches)
            throw UserError("the probes match " + std::to_string(points.size()) +
                            " points together, more than the cap of " +
                            std::to_string(options.max_matches) + ": narrow the patterns");
    }
}

void ProbeSession::Impl::resolve_fields() {
    int strings = 0;
    for (const auto& field : options.fields) {
        (void)field;
        string_slot.push_back(-1);
    }
    configs.assign(points.size(), probe_point_config{});
    fields.resize(points.size());
    if (options.fields.empty() && options.filter.comparisons.empty())
        return;
    for (size_t p = 0; p < points.size(); p++) {
        FieldContext context = field_context(resolved[p]);
        probe_point_config& config = configs[p];
        for (size_t i = 0; i < options.fields.size(); i++) {
            ResolvedField field = resolve_field(options.fields[i], context);
            if (options.mode == ProbeMode::kHistogram && field.string)
                throw UserError("--hist needs a number, but '" + field.text + "' of '" +
                                points[p].name + "' is a string: use --count");
            if (field.string) {
                if (p == 0) {
                    if (strings >= PROBE_MAX_STRINGS && options.mode == ProbeMode::kEvents)
                        throw UserError("at most " + std::to_string(PROBE_MAX_STRINGS) +
                                        " string fields per event");
                    string_slot[i] = strings++;
                }
                if (string_slot[i] < 0)
                    throw UserError("'" + field.text + "' is a string for '" + points[p].name +
                                    "' but not for '" + points[0].name +
                                    "': use probes whose fields agree");
                field.recipe.string_slot = uint8_t(string_slot[i]);
            } else if (string_slot[i] >= 0) {
                throw UserError("'" + field.text + "' is a string for '" + points[0].name +
                                "' but not for '" + points[p].name +
                                "': use probes whose fields agree");
            }
            config.fields[i] = field.recipe;
            fields[p].push_back(field);
        }
        config.field_count = uint32_t(options.fields.size());
        for (size_t i = 0; i < options.filter.comparisons.size(); i++) {
            const Comparison& comparison = options.filter.comparisons[i];
            ResolvedField field = resolve_field(comparison.field, context);
            probe_filter& filter = config.filters[i];
            filter.field = field.recipe;
            filter.op = bpf_op(comparison.op);
            if (auto text = std::get_if<std::string>(&comparison.constant)) {
                if (!field.string)
                    throw UserError("filter: '" + field.text + "' of '" + points[p].name +
                                    "' is a number, compared with the string \"" + *text +
                                    "\": compare it with a number");
                if (text->size() >= std::min<size_t>(PROBE_STRING_MAX, options.string_bytes))
                    throw UserError("filter: the string \"" + *text + "\" is longer than the " +
                                    std::to_string(options.string_bytes - 1) + " bytes read of '" +
                                    field.text + "'");
                filter.string_len = uint32_t(text->size());
                std::memcpy(filter.text, text->data(), text->size());
                if (filter.op != PROBE_EQ && filter.op != PROBE_NE && filter.op != PROBE_PREFIX)
                    throw UserError("filter: strings compare with ==, != or =~ \"PREFIX*\" only");
            } else {
                if (field.string)
                    throw UserError("filter: '" + field.text + "' of '" + points[p].name +
                                    "' is a string: compare it with \"TEXT\"");
                if (filter.op == PROBE_PREFIX)
                    throw UserError("filter: =~ (prefix) works on strings only");
                filter.constant = std::visit(
                    [](auto value) -> uint64_t {
                        if constexpr (std::is_same_v<decltype(value), std::string>)
                            return 0;
                        else
                            return static_cast<uint64_t>(value);
                    },
                    comparison.constant);
            }
        }
        config.filter_count = uint32_t(options.filter.comparisons.size());
    }
}

void ProbeSession::Impl::configure(probe_bpf* skel, uint32_t fixed_point) const {
    auto* rodata = skel->rodata;
    switch (options.mode) {
        case ProbeMode::kEvents:
            rodata->mode = PROBE_MODE_EVENTS;
            break;
        case ProbeMode::kCount:
            rodata->mode = PROBE_MODE_COUNT;
            break;
        case ProbeMode::kStackCount:
            rodata->mode = PROBE_MODE_STACK_COUNT;
            break;
        case ProbeMode::kHistogram:
            rodata->mode = PROBE_MODE_HISTOGRAM;
            break;
        case ProbeMode::kValueCount:
            rodata->mode = PROBE_MODE_VALUE_COUNT;
            break;
    }
    rodata->fixed_point = fixed_point;
    rodata->self_tgid = uint32_t(getpid());
    rodata->filter_tgid = !options.pids.empty();
    rodata->filter_tid = !options.tids.empty();
    rodata->filter_comm = !options.comm.empty();
    std::memset(const_cast<char*>(rodata->comm_filter), 0, PROBE_COMM_LEN);
    std::memcpy(const_cast<char*>(rodata->comm_filter), options.comm.data(),
                std::min<size_t>(options.comm.size(), PROBE_COMM_LEN - 1));
    rodata->filter_cgroup = !options.cgroup_path.empty();
    rodata->per_process = options.per_process;
    rodata->want_kernel_stack = options.kernel_stack;
    rodata->want_user_stack = options.user_stack;
    rodata->has_config = !options.fields.empty() || !options.filter.comparisons.empty();
    bool strings =
        std::any_of(string_slot.begin(), string_slot.end(), [](int s) { return s >= 0; });
    rodata->event_size_class = options.kernel_stack || options.user_stack ? 2 : strings ? 1 : 0;
    rodata->string_bytes = uint32_t(options.string_bytes);
}

ProbeSkeleton ProbeSession::Impl::open_instance(uint32_t fixed_point) {
    ProbeSkeleton skel(probe_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the probe BPF object", errno));
    configure(skel.get(), fixed_point);
    bpf_map* map;
    bpf_object__for_each_map(map, skel->obj) {
        if (bpf_map__is_internal(map))
            continue;  // rodata: this instance's own
        bpf_map* shared = bpf_object__find_map_by_name(master->obj, bpf_map__name(map));
        if (shared)
            bpf_map__reuse_fd(map, bpf_map__fd(shared));
    }
    bpf_program* program;
    bpf_object__for_each_program(program, skel->obj) bpf_program__set_autoload(program, false);
    return skel;
}

void ProbeSession::Impl::load_master() {
    bool kernel_wildcard = std::any_of(points.begin(), points.end(), [](const ProbePoint& p) {
        return p.spec.is_kernel_function() && p.spec.wildcard();
    });
    bool want_multi = kernel_wildcard && bool(capable(ProgramKind::kKprobe)) &&
                      options.forced_backend.value_or(Backend::kKprobe) == Backend::kKprobe;
    int err = try_load_master(want_multi);
    if (err && want_multi) {
        // Kernels before 5.18 have no kprobe.multi: then one kprobe per function.
        spdlog::debug("kprobe.multi does not load here ({}): one kprobe per function",
                      std::strerror(-err));
        err = try_load_master(false);
        want_multi = false;
    }
    if (err)
        throw UserError(errno_message("cannot load the probe BPF programs", -err));
    kprobe_multi_loaded = want_multi;
}

int ProbeSession::Impl::try_load_master(bool with_multi) {
    master.reset(probe_bpf__open());
    if (!master)
        throw UserError(errno_message("cannot open the probe BPF object", errno));
    configure(master.get(), PROBE_NO_POINT);
    auto& maps = master->maps;
    uint32_t npoints = uint32_t(std::max<size_t>(points.size(), 1));
    bpf_map__set_max_entries(maps.point_configs, npoints);
    bool events = options.mode == ProbeMode::kEvents;
    bpf_map__set_max_entries(maps.events,
                             events ? round_up_power_of_two(options.ring_buffer_bytes) : 4096);
    bool count = options.mode == ProbeMode::kCount;
    bpf_map__set_max_entries(maps.point_counts, count && !options.per_process ? npoints : 1);
    bpf_map__set_max_entries(maps.process_counts,
                             count && options.per_process ? options.max_entries : 1);
    bool stacks = options.mode == ProbeMode::kStackCount;
    bpf_map__set_max_entries(maps.stack_counts, stacks ? options.max_entries : 1);
    bpf_map__set_max_entries(maps.stack_traces, stacks ? options.max_entries * 2 : 1);
    bpf_map__set_max_entries(maps.value_counts,
                             options.mode == ProbeMode::kValueCount ? options.max_entries : 1);

    bool user = false, tracepoint = false, kernel_entry = false, kernel_return = false;
    for (const auto& point : points) {
        user |= point.spec.is_user_function() || point.spec.kind == ProbeSpec::Kind::kUsdt;
        tracepoint |= point.spec.kind == ProbeSpec::Kind::kTracepoint;
        kernel_entry |= point.spec.kind == ProbeSpec::Kind::kKernelEntry;
        kernel_return |= point.spec.kind == ProbeSpec::Kind::kKernelReturn;
    }
    bool kprobe_ok = bool(capable(ProgramKind::kKprobe));
    auto& progs = master->progs;
    bpf_program* program;
    bpf_object__for_each_program(program, master->obj) bpf_program__set_autoload(program, false);
    bpf_program__set_autoload(progs.probe_uprobe, user);
    bpf_program__set_autoload(progs.probe_uretprobe, user);
    bpf_program__set_autoload(progs.probe_tracepoint, tracepoint);
    bpf_program__set_autoload(progs.probe_kprobe, kernel_entry && kprobe_ok);
    bpf_program__set_autoload(progs.probe_kretprobe, kernel_return && kprobe_ok);
    bpf_program__set_autoload(progs.probe_kprobe_multi, with_multi && kernel_entry);
    bpf_program__set_autoload(progs.probe_kretprobe_multi, with_multi && kernel_return);
    return probe_bpf__load(master.get());
}

Expected<> ProbeSession::Impl::attach_fentry(size_t point) {
    bool is_return = points[point].spec.is_return();
    ProgramKind kind = is_return ? ProgramKind::kFexit : ProgramKind::kFentry;
    if (auto ok = capable(kind); !ok)
        return ok;
    ProbeSkeleton skel = open_instance(uint32_t(point));
    bpf_program* program = is_return ? skel->progs.probe_fexit : skel->progs.probe_fentry;
    bpf_program__set_autoload(program, true);
    bpf_program__set_attach_target(program, 0, resolved[point].function.c_str());
    if (int err = probe_bpf__load(skel.get()))
        return unexpected(explain_failure(kind, -err, false));
    bpf_link* link = bpf_program__attach(program);
    if (!link)
        return unexpected(explain_failure(kind, errno, true));
    links.emplace_back(link);
    instances.push_back(std::move(skel));
    return {};
}

Expected<> ProbeSession::Impl::attach_kernel(size_t point, Backend backend) {
    if (backend == Backend::kFentry)
        return attach_fentry(point);
    bool is_return = points[point].spec.is_return();
    ProgramKind kind = is_return ? ProgramKind::kKretprobe : ProgramKind::kKprobe;
    if (auto ok = capable(kind); !ok)
        return ok;
    LIBBPF_OPTS(bpf_kprobe_opts, kprobe_options, .bpf_cookie = point, .retprobe = is_return);
    bpf_program* program = is_return ? master->progs.probe_kretprobe : master->progs.probe_kprobe;
    bpf_link* link =
        bpf_program__attach_kprobe_opts(program, resolved[point].function.c_str(), &kprobe_options);
    if (!link)
        return unexpected(explain_failure(kind, errno, true));
    links.emplace_back(link);
    return {};
}

Expected<> ProbeSession::Impl::attach_kprobe_multi(const std::vector<size_t>& group,
                                                   bool is_return) {
    std::vector<const char*> names;
    std::vector<__u64> cookies;
    for (size_t point : group) {
        names.push_back(resolved[point].function.c_str());
        cookies.push_back(point);
    }
    LIBBPF_OPTS(bpf_kprobe_multi_opts, multi_options, .syms = names.data(),
                .cookies = cookies.data(), .cnt = names.size(), .retprobe = is_return);
    bpf_program* program =
        is_return ? master->progs.probe_kretprobe_multi : master->progs.probe_kprobe_multi;
    bpf_link* link = bpf_program__attach_kprobe_multi_opts(program, nullptr, &multi_options);
    if (!link)
        return unexpected(std::string("kprobe.multi: ") + std::strerror(errno));
    links.emplace_back(link);
    return {};
}

Expected<> ProbeSession::Impl::attach_tracepoint(size_t point) {
    const ResolvedProbe& probe = resolved[point];
    // A raw tracepoint is cheaper when the record is not read; syscalls:* and
    // record fields need the perf tracepoint, whose context is the record.
    if (points.size() == 1 && !reads_record(configs[point]) &&
        capable(ProgramKind::kRawTracepoint)) {
        ProbeSkeleton skel = open_instance(uint32_t(point));
        bpf_program__set_autoload(skel->progs.probe_raw_tp, true);
        if (probe_bpf__load(skel.get()) == 0) {
            bpf_link* link =
                bpf_program__attach_raw_tracepoint(skel->progs.probe_raw_tp, probe.event.c_str());
            if (link) {
                links.emplace_back(link);
                instances.push_back(std::move(skel));
                points[point].plan.not_used.clear();
                return {};
            }
            points[point].plan.not_used.push_back(
                "raw_tp: " + explain_failure(ProgramKind::kRawTracepoint, errno, true) +
                "; attached as a perf tracepoint");
        }
    }
    LIBBPF_OPTS(bpf_tracepoint_opts, tracepoint_options, .bpf_cookie = point);
    bpf_link* link =
        bpf_program__attach_tracepoint_opts(master->progs.probe_tracepoint, probe.category.c_str(),
                                            probe.event.c_str(), &tracepoint_options);
    if (!link)
        return unexpected(explain_failure(ProgramKind::kTracepoint, errno, true));
    links.emplace_back(link);
    return {};
}

Expected<> ProbeSession::Impl::attach_user(size_t point) {
    const ResolvedProbe& probe = resolved[point];
    bool is_return = probe.spec.is_return();
    LIBBPF_OPTS(bpf_uprobe_opts, uprobe_options, .ref_ctr_offset = probe.semaphore_offset,
                .bpf_cookie = point, .retprobe = is_return);
    bpf_program* program = is_return ? master->progs.probe_uretprobe : master->progs.probe_uprobe;
    int pid = options.pids.size() == 1 ? int(options.pids[0]) : -1;
    bpf_link* link = bpf_program__attach_uprobe_opts(program, pid, probe.binary_path.c_str(),
                                                     probe.file_offset, &uprobe_options);
    if (!link)
        return unexpected(explain_failure(
            is_return ? ProgramKind::kUretprobe : ProgramKind::kUprobe, errno, true));
    links.emplace_back(link);
    return {};
}

void ProbeSession::Impl::attach_all() {
    auto fail = [&](size_t point, const std::string& reason) {
        points[point].plan.unreachable = reason;
        throw UserError("cannot trace '" + points[point].name + "': " + reason);
    };
    // Kernel wildcards: one kprobe.multi link per direction when fentry is
    // not available; the others point by point.
    std::vector<size_t> kernel_points;
    for (size_t p = 0; p < points.size(); p++) {
        ProbePoint& point = points[p];
        if (!point.spec.is_kernel_function()) {
            Expected<> attached;
            if (options.forced_backend &&
                *options.forced_backend != (point.spec.kind == ProbeSpec::Kind::kTracepoint
                                                ? Backend::kTracepoint
                                                : Backend::kUprobe))
                fail(p, std::string("--backend ") + backend_name(*options.forced_backend) +
                            " cannot reach a " + probe_kind_name(point.spec.kind));
            if (point.spec.kind == ProbeSpec::Kind::kTracepoint) {
                attached = attach_tracepoint(p);
                point.plan.backend = Backend::kTracepoint;
            } else {
                attached = attach_user(p);
                point.plan.backend = Backend::kUprobe;
            }
            if (!attached) {
                point.plan.backend.reset();
                fail(p, attached.reason());
            }
            continue;
        }
        kernel_points.push_back(p);
    }
    if (kernel_points.empty())
        return;
    std::vector<Backend> candidates = {Backend::kFentry, Backend::kKprobe};
    if (options.forced_backend) {
        if (*options.forced_backend != Backend::kFentry &&
            *options.forced_backend != Backend::kKprobe)
            fail(kernel_points[0], std::string("--backend ") +
                                       backend_name(*options.forced_backend) +
                                       " cannot reach a kernel function (use fentry or kprobe)");
        candidates = {*options.forced_backend};
    }
    // fentry for each point first; what it cannot reach goes to kprobes.
    std::vector<size_t> remaining;
    std::string fentry_reason;
    bool try_fentry = candidates.front() == Backend::kFentry;
    for (size_t p : kernel_points) {
        if (try_fentry) {
            Expected<> attached = attach_fentry(p);
            if (attached) {
                points[p].plan.backend = Backend::kFentry;
                continue;
            }
            points[p].plan.not_used.push_back(std::string("fentry") +
                                              (options.forced_backend ? " (forced)" : "") + ": " +
                                              attached.reason());
            // One refusal of the program type (EPERM, no BTF) holds for all.
            if (!capable(ProgramKind::kFentry) || points.size() > 1)
                fentry_reason = attached.reason();
        }
        remaining.push_back(p);
    }
    if (remaining.empty())
        return;
    bool try_kprobe =
        std::find(candidates.begin(), candidates.end(), Backend::kKprobe) != candidates.end();
    auto unreachable = [&](size_t p) {
        std::string reason = "no backend can reach it here";
        for (const auto& why : points[p].plan.not_used) reason += "; " + why;
        fail(p, reason);
    };
    if (!try_kprobe)
        unreachable(remaining.front());
    if (kprobe_multi_loaded && remaining.size() > 1) {
        for (bool is_return : {false, true}) {
            std::vector<size_t> group;
            for (size_t p : remaining)
                if (points[p].spec.is_return() == is_return)
                    group.push_back(p);
            if (group.empty())
                continue;
            if (auto attached = attach_kprobe_multi(group, is_return); attached) {
                for (size_t p : group) points[p].plan.backend = Backend::kKprobe;
            } else {
                spdlog::debug("{}; one kprobe per function", attached.reason());
            }
        }
    }
    for (size_t p : remaining) {
        if (points[p].plan.backend)
            continue;
        Expected<> attached = attach_kernel(p, Backend::kKprobe);
        if (attached) {
            points[p].plan.backend = Backend::kKprobe;
            continue;
        }
        points[p].plan.not_used.push_back(std::string("kprobe") +
                                          (options.forced_backend ? " (forced)" : "") + ": " +
                                          attached.reason());
        unreachable(p);
    }
}

int ProbeSession::Impl::on_ring_event(void* self, void* data, size_t size) {
    auto* impl = static_cast<Impl*>(self);
    if (size < PROBE_EVENT_BASE_SIZE || !impl->on_event)
        return 0;
    // libbpf keeps consuming while producers keep producing: a busy probe
    // would never let the caller see a stop request. A negative return ends
    // this poll; the rest waits in the ring for the next one.
    if (++impl->events_this_poll > kEventsPerPoll)
        return -1;
    // The record may be shorter than the struct (size classes): copy what came.
    probe_event record;
    std::memset(&record, 0, sizeof record);
    std::memcpy(&record, data, std::min(size, sizeof record));
    ProbeEvent event;
    event.timestamp_ns = record.timestamp_ns;
    event.cpu = record.cpu;
    event.tgid = record.tgid;
    event.tid = record.tid;
    event.uid = record.uid;
    event.cgroup_id = record.cgroup_id;
    event.comm.assign(record.comm, strnlen(record.comm, sizeof record.comm));
    event.point = record.point < impl->points.size() ? record.point : 0;
    const auto& point_fields = impl->fields[event.point];
    for (size_t i = 0; i < point_fields.size(); i++) {
        const ResolvedField& field = point_fields[i];
        if (field.string) {
            const char* text = record.strings[field.recipe.string_slot % PROBE_MAX_STRINGS];
            event.fields.emplace_back(std::string(text, strnlen(text, PROBE_STRING_MAX)));
        } else if (field.is_signed) {
            event.fields.emplace_back(int64_t(record.values[i]));
        } else {
            event.fields.emplace_back(uint64_t(record.values[i]));
        }
    }
    const ProbeOptions& options = impl->options;
    if (options.kernel_stack) {
        if (record.kernel_stack_bytes > 0)
            event.kernel_ips.assign(record.kernel_ips,
                                    record.kernel_ips + record.kernel_stack_bytes / 8);
        else
            event.kernel_stack_missing = true;
    }
    if (options.user_stack) {
        if (record.user_stack_bytes > 0)
            event.user_ips.assign(record.user_ips, record.user_ips + record.user_stack_bytes / 8);
        else
            event.user_stack_missing = record.user_stack_bytes < 0;
    }
    (*impl->on_event)(event);
    return 0;
}

ProbeSession::ProbeSession(ProbeOptions options) : impl_(std::make_unique<Impl>()) {
    Impl& impl = *impl_;
    impl.options = std::move(options);
    impl.validate_options();
    impl.cpus = libbpf_num_possible_cpus();
    impl.resolve_points();
    impl.resolve_fields();
    if (!impl.options.cgroup_path.empty()) {
        impl.cgroup_fd.reset(
            open(impl.options.cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!impl.cgroup_fd)
            throw UserError(
                errno_message("cannot open cgroup '" + impl.options.cgroup_path + "'", errno));
        struct statfs fs {};
        if (fstatfs(impl.cgroup_fd.get(), &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
            throw UserError("the cgroup filter needs a cgroup v2 directory; '" +
                            impl.options.cgroup_path + "' is not on cgroup2");
    }
    impl.load_master();
    auto& maps = impl.master->maps;
    for (uint32_t p = 0; p < impl.configs.size(); p++)
        if (bpf_map_update_elem(bpf_map__fd(maps.point_configs), &p, &impl.configs[p], BPF_ANY))
            throw UserError(errno_message("cannot configure the probe points", errno));
    fill_id_set(bpf_map__fd(maps.tgids), impl.options.pids, "pid");
    fill_id_set(bpf_map__fd(maps.tids), impl.options.tids, "tid");
    if (impl.cgroup_fd) {
        uint32_t key = 0;
        int fd = impl.cgroup_fd.get();
        if (bpf_map_update_elem(bpf_map__fd(maps.cgroup_filter), &key, &fd, BPF_ANY))
            throw UserError(errno_message("cannot set the cgroup filter", errno));
    }
    if (impl.options.mode == ProbeMode::kEvents) {
        impl.ring.reset(
            ring_buffer__new(bpf_map__fd(maps.events), &Impl::on_ring_event, &impl, nullptr));
        if (!impl.ring)
            throw UserError(errno_message("cannot open the event ring buffer", errno));
    }
    impl.attach_all();
}

ProbeSession::~ProbeSession() = default;

void ProbeSession::detach() {
    impl_->links.clear();
}

const std::vector<ProbePoint>& ProbeSession::points() const {
    return impl_->points;
}

const ProbeOptions& ProbeSession::options() const {
    return impl_->options;
}

size_t ProbeSession::poll_events(int timeout_ms,
                                 const std::function<void(const ProbeEvent&)>& on_event) {
    if (!impl_->ring)
        return 0;
    impl_->on_event = &on_event;
    impl_->events_this_poll = 0;
    ring_buffer__poll(impl_->ring.get(), timeout_ms);
    impl_->on_event = nullptr;
    return std::min(impl_->events_this_poll, kEventsPerPoll);
}

std::vector<ProbeCount> ProbeSession::counts(bool reset) {
    std::vector<ProbeCount> out;
    auto& maps = impl_->master->maps;
    if (!impl_->options.per_process) {
        int fd = bpf_map__fd(maps.point_counts);
        std::vector<uint64_t> values(size_t(impl_->cpus), 0);
        for (uint32_t p = 0; p < impl_->points.size(); p++) {
            if (bpf_map_lookup_elem(fd, &p, values.data()) != 0)
                continue;
            ProbeCount count;
            count.point = p;
            for (uint64_t v : values) count.count += v;
            if (count.count)
                out.push_back(count);
            if (reset) {
                std::vector<uint64_t> zeros(size_t(impl_->cpus), 0);
                bpf_map_update_elem(fd, &p, zeros.data(), BPF_ANY);
            }
        }
    } else {
        int fd = bpf_map__fd(maps.process_counts);
        std::vector<probe_process_key> read;
        for_each_map_entry<probe_process_key, uint64_t>(
            fd, [&](const probe_process_key& key, uint64_t value) {
                ProbeCount count;
                count.point = key.point;
                count.tgid = key.tgid;
                count.comm.assign(key.comm, strnlen(key.comm, sizeof key.comm));
                count.count = value;
                out.push_back(count);
                if (reset)
                    read.push_back(key);
            });
        for (const auto& key : read) bpf_map_delete_elem(fd, &key);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const ProbeCount& a, const ProbeCount& b) { return a.count > b.count; });
    return out;
}

std::vector<RawStack> ProbeSession::stacks(bool reset, std::vector<size_t>* point_of) {
    std::vector<RawStack> out;
    auto& maps = impl_->master->maps;
    int fd = bpf_map__fd(maps.stack_counts);
    int traces = bpf_map__fd(maps.stack_traces);
    std::vector<probe_stack_key> read;
    std::set<int64_t> ids;
    for_each_map_entry<probe_stack_key, uint64_t>(
        fd, [&](const probe_stack_key& key, uint64_t value) {
            RawStack stack;
            stack.tgid = key.tgid;
            stack.comm.assign(key.comm, strnlen(key.comm, sizeof key.comm));
            stack.want_user = key.user_stack_wanted != 0;
            stack.want_kernel = impl_->options.kernel_stack;
            if (key.user_stack >= 0)
                stack.user_ips =
                    read_stack_trace(traces, uint32_t(key.user_stack), PROBE_MAX_STACK_DEPTH);
            if (key.kernel_stack >= 0)
                stack.kernel_ips =
                    read_stack_trace(traces, uint32_t(key.kernel_stack), PROBE_MAX_STACK_DEPTH);
            stack.value = double(value);
            out.push_back(std::move(stack));
            if (point_of)
                point_of->push_back(key.point);
            if (reset) {
                read.push_back(key);
                ids.insert(key.user_stack);
                ids.insert(key.kernel_stack);
            }
        });
    for (const auto& key : read) bpf_map_delete_elem(fd, &key);
    for (int64_t id : ids)
        if (id >= 0) {
            uint32_t stack_id = uint32_t(id);
            bpf_map_delete_elem(traces, &stack_id);
        }
    return out;
}

report::Log2Histogram ProbeSession::histogram(bool reset) {
    report::Log2Histogram histogram;
    histogram.slots.assign(report::kLog2Slots, 0);
    int fd = bpf_map__fd(impl_->master->maps.histogram);
    struct Entries {
        uint64_t values[PROBE_HIST_ENTRIES];
    };
    std::vector<Entries> per_cpu(size_t(impl_->cpus));
    uint32_t key = 0;
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0)
        return histogram;
    uint64_t min_inverted = 0, negatives = 0;
    for (const auto& cpu : per_cpu) {
        for (unsigned slot = 0; slot < PROBE_HIST_SLOTS && slot < report::kLog2Slots; slot++)
            histogram.slots[slot] += cpu.values[slot];
        histogram.count += cpu.values[PROBE_HIST_COUNT];
        histogram.sum += cpu.values[PROBE_HIST_SUM];
        histogram.max = std::max(histogram.max, cpu.values[PROBE_HIST_MAX]);
        min_inverted = std::max(min_inverted, cpu.values[PROBE_HIST_MIN_INVERTED]);
        negatives += cpu.values[PROBE_HIST_NEGATIVE];
    }
    histogram.min = min_inverted ? ~min_inverted : 0;
    impl_->negative_values = negatives;
    if (reset) {
        std::vector<Entries> zeros(size_t(impl_->cpus));
        std::memset(zeros.data(), 0, zeros.size() * sizeof(Entries));
        bpf_map_update_elem(fd, &key, zeros.data(), BPF_ANY);
    }
    return histogram;
}

uint64_t ProbeSession::negative_values() const {
    return impl_->negative_values;
}

std::vector<ValueCount> ProbeSession::value_counts(bool reset) {
    std::vector<ValueCount> out;
    int fd = bpf_map__fd(impl_->master->maps.value_counts);
    const ResolvedField* field =
        impl_->fields.empty() || impl_->fields[0].empty() ? nullptr : &impl_->fields[0][0];
    std::vector<probe_value_key> read;
    for_each_map_entry<probe_value_key, uint64_t>(
        fd, [&](const probe_value_key& key, uint64_t value) {
            ValueCount count;
            count.count = value;
            if (field && field->string)
                count.value = std::string(key.text, strnlen(key.text, sizeof key.text));
            else if (field && field->is_signed)
                count.value = int64_t(key.value);
            else
                count.value = uint64_t(key.value);
            out.push_back(std::move(count));
            if (reset)
                read.push_back(key);
        });
    for (const auto& key : read) bpf_map_delete_elem(fd, &key);
    std::stable_sort(out.begin(), out.end(),
                     [](const ValueCount& a, const ValueCount& b) { return a.count > b.count; });
    return out;
}

ProbeStats ProbeSession::stats() const {
    auto counters =
        read_percpu_counters(bpf_map__fd(impl_->master->maps.counters), PROBE_COUNTER_COUNT);
    ProbeStats stats;
    stats.hits = counters[PROBE_HITS];
    stats.filtered_out = counters[PROBE_FILTERED_OUT];
    stats.ring_buffer_lost = counters[PROBE_RINGBUF_LOST];
    stats.map_full = counters[PROBE_MAP_FULL];
    stats.stacks_missing = counters[PROBE_STACKS_MISSING];
    stats.read_errors = counters[PROBE_READ_ERRORS];
    return stats;
}

}  // namespace bpfscope
