#pragma once
// Shared by the stack tools (offcputime, profile): reading stacks out of BPF
// maps, the "new pid" ring buffer, per-CPU counters, and assembling symbolized
// samples into a report::StackProfile.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <string.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/map_iteration.h"
#include "core/stack_symbols.h"
#include "report/model.h"
#include "report/stack_outputs.h"
#include "report/stack_profile.h"

namespace bpfscope {

// Instruction pointers of one stack, leaf first, zero padding removed. Empty
// when the map has no such entry (it was never stored).
std::vector<uint64_t> read_stack_trace(int map_fd, uint32_t stack_id, size_t max_depth);
std::vector<uint64_t> read_stack_by_hash(int map_fd, uint64_t hash, size_t max_depth);

// Sum over CPUs of every slot of a BPF_MAP_TYPE_PERCPU_ARRAY of __u64.
std::vector<uint64_t> read_percpu_counters(int map_fd, unsigned slots);

// Fills a "set of ids" hash map (pid or tid filter).
void fill_id_set(int map_fd, const std::vector<uint32_t>& ids, const char* what);

// Consumes a ring buffer of {u32 tgid; u32 tid} events and calls on_new_pid.
class NewPidListener {
  public:
    NewPidListener(int ringbuf_fd, std::function<void(uint32_t tgid)> on_new_pid);
    ~NewPidListener();
    NewPidListener(const NewPidListener&) = delete;
    NewPidListener& operator=(const NewPidListener&) = delete;
    void poll(int timeout_ms = 0);

  private:
    static int on_event(void* self, void* data, size_t size);
    std::function<void(uint32_t)> on_new_pid_;
    ring_buffer* ring_ = nullptr;
};

// One aggregated stack before symbolization.
struct RawStack {
    uint32_t tgid = 0;
    uint32_t tid = 0;
    std::string comm;
    bool want_user = false;  // a user stack was asked for (user thread, not -K)
    bool want_kernel = false;
    std::vector<uint64_t> user_ips;    // leaf first; empty and wanted: missing
    std::vector<uint64_t> kernel_ips;  // leaf first
    uint64_t value = 0;                // the tool's figure (samples, microseconds)
};

// The part of a RawStack every stack tool's aggregation key carries: who
// (tgid, tid, comm) and the hashes of its user and kernel stacks.
template <typename Key>
RawStack raw_stack_from_key(const Key& key, int stacks_fd, size_t max_depth) {
    RawStack stack;
    stack.tgid = key.tgid;
    stack.tid = key.tid;
    stack.comm.assign(key.comm, strnlen(key.comm, sizeof(key.comm)));
    stack.want_user = key.user_stack_wanted != 0;
    if (key.user_stack)
        stack.user_ips = read_stack_by_hash(stacks_fd, key.user_stack, max_depth);
    if (key.kernel_stack)
        stack.kernel_ips = read_stack_by_hash(stacks_fd, key.kernel_stack, max_depth);
    return stack;
}

// Reads a stack tool's aggregation map (key: who + stack hashes, value: its
// figure) into RawStacks; `finish(key, value, stack)` sets what differs per
// tool (value, want_kernel). With `reset` (interval reports) the entries read
// are deleted, so each report covers its own interval.
template <typename Key, typename Value, typename Finish>
std::vector<RawStack> read_stack_map(int map_fd, int stacks_fd, size_t max_depth, bool reset,
                                     Finish&& finish) {
    std::vector<RawStack> stacks;
    std::vector<Key> read_keys;
    for_each_map_entry<Key, Value>(map_fd, [&](const Key& key, const Value& value) {
        RawStack stack = raw_stack_from_key(key, stacks_fd, max_depth);
        finish(key, value, stack);
        stacks.push_back(std::move(stack));
        if (reset)
            read_keys.push_back(key);
    });
    for (const auto& key : read_keys) bpf_map_delete_elem(map_fd, &key);
    return stacks;
}

struct AssembleOptions {
    bool separator = true;  // "-" frame between user and kernel frames
    // Off-CPU stacks: drop the kernel frames from __schedule to the leaf (the
    // context switch and the tracing machinery), so a stack's leaf is the
    // scheduler's caller chain (schedule, do_nanosleep, mutex and futex waits),
    // the same frames libbpf-tools' offcputime shows below __schedule.
    bool trim_at_schedule = false;
};

// Symbolizes and builds the profile: frames root first, user frames, then "-",
// then kernel frames. Missing stacks become a "[missing user stack]" /
// "[missing kernel stack]" frame so their time is never dropped.
void assemble_profile(const std::vector<RawStack>& raw, StackSymbols& symbols,
                      const AssembleOptions& options, report::StackProfile& profile);

// The stack tools' output goes through the report writers (report/stack_outputs.h).
using report::StackResultOptions;
using report::write_stack_result;

// "kernel stacks of user threads missing (errno 14 Bad address: 3, empty: 1)",
// from counts by errno (slot 0: empty stacks); the text of the warning about
// genuine kernel stack failures (idle tasks and kernel threads are counted apart).
std::string missing_kernel_stacks_warning(const std::vector<uint64_t>& by_errno);

// Adds the "warnings" for counters that mean lost data: name -> count pairs
// with a nonzero count become one warning each.
void warn_about_losses(report::Report& report,
                       const std::vector<std::pair<std::string, uint64_t>>& losses);

}  // namespace bpfscope
