#pragma once
// The built-in workload: writer processes that keep charging and uncharging
// memory inside the leaves (so memcg stats change and flushes have work), and
// a reader process that times open+read+close of one memory.stat.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/perf_counters.h"

namespace bpfscope::memcg {

class CgroupTree;

// Times `reads` reads of `path` (open, read to EOF, close), storing the
// nanoseconds of read i in out[i]. `delay_us` > 0 busy-waits that long inside
// each timed read (an artificially slowed reader, for testing comparisons).
// Stops early when *stop becomes true. Returns the number of reads done and
// the size of the last read in *bytes; sets *error (errno) on failure.
size_t timed_stat_reads(const std::string& path, uint64_t* out, size_t reads, unsigned delay_us,
                        const std::atomic<bool>* stop, size_t* bytes, int* error);

struct WriterOptions {
    int count = 4;
    size_t anon_bytes = 1 << 20;    // anonymous memory touched and unmapped per round
    size_t file_bytes = 256 << 10;  // shmem (memfd) written and truncated per round
    unsigned pause_us = 1000;       // sleep between rounds, to leave CPU to the reader
};

// Writer processes, one per leaf round-robin. Killed and reaped on destruction
// (before the tree is removed: destroy the pool first).
class WriterPool {
  public:
    WriterPool(const CgroupTree& tree, const WriterOptions& options);
    ~WriterPool();
    WriterPool(const WriterPool&) = delete;
    WriterPool& operator=(const WriterPool&) = delete;

    const std::vector<pid_t>& pids() const { return pids_; }
    // Number of writers still running (a writer only ends when killed).
    int alive() const;
    void stop();

  private:
    std::vector<pid_t> pids_;
};

struct ReaderOptions {
    std::string stat_path;  // the memory.stat file to read
    size_t reads = 2000;
    unsigned delay_us = 0;
    int cpu = -1;  // pin the reader to this CPU (-1: no pinning)
};

struct ReaderRun {
    std::vector<uint64_t> latency_ns;  // one per completed read
    uint64_t wall_ns = 0;              // first read start to last read end
    size_t bytes_per_read = 0;
    std::vector<CounterReading> counters;  // around the read loop only
    bool interrupted = false;
};

// A forked reader process that waits until run() so a tracer can be set up
// for its pid first. run() may be called again for the next run (same pid, so
// one tracer filtered on it covers all runs).
class ReaderProcess {
  public:
    explicit ReaderProcess(const ReaderOptions& options);
    ~ReaderProcess();
    ReaderProcess(const ReaderProcess&) = delete;
    ReaderProcess& operator=(const ReaderProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Starts one run of reads and waits for it; `stop()` is polled and ends the
    // run early (the reader is then killed: no further run).
    ReaderRun run(const std::function<bool()>& stop);

  private:
    struct Shared;
    void kill_and_reap();

    ReaderOptions options_;
    pid_t pid_ = -1;
    int go_fd_ = -1;            // parent writes 'g' to start; closing it lets the child exit
    int done_fd_ = -1;          // child writes 'd' when the loop ended
    Shared* shared_ = nullptr;  // MAP_SHARED anonymous mapping, unmapped in the destructor
    size_t shared_bytes_ = 0;
};

}  // namespace bpfscope::memcg
