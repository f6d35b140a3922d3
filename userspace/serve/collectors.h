#pragma once
// The collectors `bpfscope serve` runs: each owns its BPF programs (through a
// core session) for as long as it exists, and turns their cumulative figures
// into metric families at every scrape. Nothing here resets a BPF map, so every
// counter and histogram stays monotonic for the collector's lifetime.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/bpf_stats.h"
#include "serve/config.h"
#include "serve/metrics.h"

namespace bpfscope::serve {

class Collector {
  public:
    virtual ~Collector() = default;
    // Identity across config reloads: a collector whose key is unchanged is kept
    // (its counters go on); a changed key builds a new one.
    virtual std::string key() const = 0;
    virtual std::string name() const = 0;    // the `collector` label
    virtual std::string attach() const = 0;  // how it is attached (tp_btf, uprobe, ...)
    virtual void collect(MetricSet& out) = 0;
    // Run time and runs of its BPF programs (zero unless BPF stats are on).
    virtual ProgramRunStats run_stats() const = 0;
    // Events the BPF side could not record, by reason (monotonic).
    virtual std::vector<std::pair<std::string, uint64_t>> drops() const = 0;
    // Label values a cardinality cap refused (monotonic).
    virtual uint64_t series_dropped() const { return 0; }
};

// The collectors a config asks for, one per key.
std::vector<std::string> collector_keys(const ServeConfig& config);
// Builds the collector of one key from `config`. Throws UserError.
std::unique_ptr<Collector> make_collector(const std::string& key, const ServeConfig& config);

// Names of cgroup v2 directories by the low 32 bits of their id (inode), for
// the per-cgroup label: the path below the cgroup2 mount ("/" for the root).
class CgroupNames {
  public:
    // "id:N" for an id no directory has (any more).
    std::string name(uint32_t id);

  private:
    void rescan();
    std::map<uint32_t, std::string> names_;
    std::string mount_;
    bool scanned_once_ = false;
    std::set<uint32_t> missing_since_scan_;
};

}  // namespace bpfscope::serve
