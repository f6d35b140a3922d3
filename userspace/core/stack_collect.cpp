#include "core/stack_collect.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/error.h"
#include "new_process.h"

namespace bpfscope {

namespace {

std::vector<uint64_t> trim_zeros(std::vector<uint64_t> ips) {
    auto end = std::find(ips.begin(), ips.end(), 0);
    ips.erase(end, ips.end());
    return ips;
}

report::StackFrame synthetic_frame(const char* name, report::StackFrame::Kind kind) {
    report::StackFrame frame;
    frame.name = name;
    frame.kind = kind;
    return frame;
}

// "__schedule", also as "__schedule+0x1a" (-v) or a compiler clone "__schedule.cold".
bool is_schedule_frame(const report::StackFrame& frame) {
    constexpr std::string_view kName = "__schedule";
    std::string_view name = frame.name;
    return name.substr(0, kName.size()) == kName &&
           (name.size() == kName.size() || name[kName.size()] == '+' || name[kName.size()] == '.');
}

// Erases __schedule and everything leafward of it (frames are root first).
void trim_at_schedule(std::vector<report::StackFrame>& kernel) {
    for (size_t i = kernel.size(); i-- > 0;) {
        if (kernel[i].kind == report::StackFrame::Kind::kKernel && is_schedule_frame(kernel[i])) {
            kernel.erase(kernel.begin() + static_cast<std::ptrdiff_t>(i), kernel.end());
            return;
        }
    }
}

}  // namespace

std::vector<uint64_t> read_stack_trace(int map_fd, uint32_t stack_id, size_t max_depth) {
    std::vector<uint64_t> ips(max_depth, 0);
    if (bpf_map_lookup_elem(map_fd, &stack_id, ips.data()) != 0)
        return {};
    return trim_zeros(std::move(ips));
}

std::vector<uint64_t> read_stack_by_hash(int map_fd, uint64_t hash, size_t max_depth) {
    std::vector<uint64_t> ips(max_depth, 0);
    if (bpf_map_lookup_elem(map_fd, &hash, ips.data()) != 0)
        return {};
    return trim_zeros(std::move(ips));
}

std::vector<uint64_t> read_percpu_counters(int map_fd, unsigned slots) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        throw UserError(errno_message("cannot count possible CPUs", cpus));
    std::vector<uint64_t> totals(slots, 0);
    std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
    for (uint32_t slot = 0; slot < slots; ++slot) {
        if (bpf_map_lookup_elem(map_fd, &slot, per_cpu.data()) != 0)
            continue;
        for (uint64_t v : per_cpu) totals[slot] += v;
    }
    return totals;
}

void fill_id_set(int map_fd, const std::vector<uint32_t>& ids, const char* what) {
    uint8_t one = 1;
    for (uint32_t id : ids) {
        if (bpf_map_update_elem(map_fd, &id, &one, BPF_ANY) != 0)
            throw UserError(errno_message(std::string("cannot add ") + what + " " +
                                              std::to_string(id) + " to the filter (at most 1024)",
                                          errno));
    }
}

NewPidListener::NewPidListener(int ringbuf_fd, std::function<void(uint32_t)> on_new_pid)
    : on_new_pid_(std::move(on_new_pid)) {
    ring_ = ring_buffer__new(ringbuf_fd, &NewPidListener::on_event, this, nullptr);
    if (!ring_)
        throw UserError(errno_message("cannot open the new-process ring buffer", errno));
}

NewPidListener::~NewPidListener() {
    ring_buffer__free(ring_);
}

void NewPidListener::poll(int timeout_ms) {
    ring_buffer__poll(ring_, timeout_ms);
}

int NewPidListener::on_event(void* self, void* data, size_t size) {
    if (size < sizeof(new_process_event))
        return 0;
    new_process_event event{};
    std::memcpy(&event, data, sizeof(event));
    static_cast<NewPidListener*>(self)->on_new_pid_(event.tgid);
    return 0;
}

void assemble_profile(const std::vector<RawStack>& raw, StackSymbols& symbols,
                      const AssembleOptions& options, report::StackProfile& profile) {
    using Kind = report::StackFrame::Kind;
    for (const auto& stack : raw) {
        report::StackSample sample;
        sample.comm = stack.comm;
        sample.pid = stack.tgid;
        sample.tid = stack.tid;
        sample.value = stack.value;
        bool has_user = false;
        if (stack.want_user) {
            has_user = true;
            if (stack.user_ips.empty())
                sample.frames.push_back(synthetic_frame("[missing user stack]", Kind::kUser));
            else
                sample.frames = symbols.user_frames(stack.tgid, stack.user_ips);
        }
        if (stack.want_kernel) {
            std::vector<report::StackFrame> kernel;
            if (!stack.kernel_ips.empty()) {
                kernel = symbols.kernel_frames(stack.kernel_ips);
                // Root first: the tool's own frames are at the leaf end.
                if (options.trim_at_schedule)
                    trim_at_schedule(kernel);
                while (!kernel.empty() && is_tracing_frame(kernel.back().name)) kernel.pop_back();
            }
            if (kernel.empty())
                kernel.push_back(synthetic_frame("[missing kernel stack]", Kind::kKernel));
            if (has_user && options.separator)
                sample.frames.push_back(synthetic_frame("-", Kind::kSeparator));
            sample.frames.insert(sample.frames.end(), kernel.begin(), kernel.end());
        }
        profile.samples.push_back(std::move(sample));
    }
}

std::string missing_kernel_stacks_warning(const std::vector<uint64_t>& by_errno) {
    std::string causes;
    for (size_t err = 0; err < by_errno.size(); ++err) {
        if (by_errno[err] == 0)
            continue;
        if (!causes.empty())
            causes += ", ";
        causes += err == 0 ? std::string("empty")
                           : "errno " + std::to_string(err) + " " + strerror(int(err));
        causes += ": " + std::to_string(by_errno[err]);
    }
    return "kernel stacks of user threads missing" + (causes.empty() ? "" : " (" + causes + ")");
}

void warn_about_losses(report::Report& report,
                       const std::vector<std::pair<std::string, uint64_t>>& losses) {
    for (const auto& [what, count] : losses) {
        if (count != 0)
            report.warnings.push_back(std::to_string(count) + " " + what);
    }
}

}  // namespace bpfscope
