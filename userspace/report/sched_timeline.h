#pragma once
// The scheduler timeline of a recording, as the `timeline` command draws it:
// which task ran on each CPU when, what state each task was in, and which
// wakeup led to which switch-in. It is built from a record file (record layer)
// and rendered by write_timeline_html() into one self-contained HTML page.
// Plain data: no kernel, no file format, no JSON.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace bpfscope::report {

// What a task was doing during a TaskSlice.
enum class TaskState : uint8_t {
    running = 0,   // on a CPU
    runnable = 1,  // woken or preempted, waiting for a CPU
    sleeping = 2,  // interruptible sleep (S)
    blocked = 3,   // uninterruptible sleep (D)
    other = 4,     // stopped, traced, dead, or unknown
};

struct TimelineTask {
    uint32_t tid = 0;
    uint32_t pid = 0;  // thread group id
    std::string comm;  // the last name the task had (names of exited tasks are kept)
};

// A task on a CPU, from its switch-in to its switch-out (or the recording's end).
struct CpuSlice {
    uint64_t start_ns = 0;  // CLOCK_MONOTONIC
    uint64_t end_ns = 0;
    uint32_t task = 0;  // index into SchedTimeline::tasks
};

// One state of one task over an interval.
struct TaskSlice {
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
    uint32_t task = 0;  // index into SchedTimeline::tasks
    TaskState state = TaskState::other;
    uint32_t cpu = 0;  // for running: the CPU; otherwise the last CPU it ran on
};

// A wakeup and the switch-in it caused (switch_in_ns == 0: none seen before
// the recording ended).
struct Wakeup {
    uint64_t wake_ns = 0;
    uint64_t switch_in_ns = 0;
    uint32_t waker = 0;  // index into tasks; UINT32_MAX: interrupt or unknown
    uint32_t wakee = 0;  // index into tasks
    uint32_t waker_cpu = 0;
    uint32_t target_cpu = 0;
};

struct SchedTimeline {
    uint64_t start_ns = 0;  // recording window
    uint64_t end_ns = 0;
    uint32_t cpu_count = 0;
    std::string title;  // e.g. the record file's name and host
    std::vector<TimelineTask> tasks;
    std::vector<std::vector<CpuSlice>> cpus;  // [cpu] -> slices ordered by start
    std::vector<TaskSlice> task_slices;       // ordered by (task, start)
    std::vector<Wakeup> wakeups;              // ordered by wake_ns
    uint64_t lost_events = 0;                 // shown in the page's header
};

// Writes one self-contained interactive HTML page (inline script and style,
// nothing fetched from the network). Throws UserError if the stream fails.
void write_timeline_html(const SchedTimeline& timeline, std::ostream& out);

}  // namespace bpfscope::report
