#pragma once
// runqlat's BPF setup, shared by the runqlat tool and `bpfscope serve`: loads
// bpf/runqlat.bpf.c (tp_btf, or the raw_tp fallback), attaches it and reads
// its histograms. Destroying the session detaches everything.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "report/histogram.h"

namespace bpfscope {

struct RunqlatConfig {
    bool milliseconds = false;  // histogram slots in ms (default us)
    enum class Key { kTotal, kProcess, kThread, kCgroup, kPidNamespace } key = Key::kTotal;
    std::vector<uint32_t> pids;  // only these processes (empty: all)
    std::string cgroup;          // only tasks in this cgroup v2 directory (and below)
    bool force_raw_tp = false;
    uint32_t max_histograms = 10240;  // entries of the histogram map
};

struct RunqlatHistogram {
    // 0 for the total; tid, tgid, the low 32 bits of the cgroup v2 id (the inode
    // number of its directory) or the PID namespace's inode number, by key.
    uint32_t id = 0;
    std::string comm;                 // process and thread keys
    report::Log2Histogram histogram;  // in us or ms, with fine_ns
};

class RunqlatSession {
  public:
    explicit RunqlatSession(const RunqlatConfig& config);  // throws UserError
    ~RunqlatSession();
    RunqlatSession(const RunqlatSession&) = delete;
    RunqlatSession& operator=(const RunqlatSession&) = delete;

    bool tp_btf() const { return tp_btf_; }
    const RunqlatConfig& config() const { return config_; }
    // Every histogram, sorted by id; with `reset` the map entries read are deleted.
    std::vector<RunqlatHistogram> read(bool reset);
    // Sums over CPUs, indexed by enum runqlat_counter (bpf/runqlat.h).
    std::vector<uint64_t> counters() const;
    // The per-CPU counters map (for core/interval_counters.h).
    int counters_fd() const;
    std::vector<int> program_fds() const;

  private:
    struct Impl;
    RunqlatConfig config_;
    bool tp_btf_ = false;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bpfscope
