#pragma once
// Per-CPU counter maps (switches seen, stacks missing, drops) only grow in the
// kernel. An interval report (-i) must show what happened in its own interval,
// like its stacks and histograms, so the tools report the growth since the
// previous report rather than the running totals.
#include <cstdint>
#include <vector>

#include "core/stack_collect.h"

namespace bpfscope {

class IntervalCounters {
  public:
    IntervalCounters(int map_fd, unsigned slots) : map_fd_(map_fd), previous_(slots, 0) {}

    // The growth of every slot since the previous call (since the start for the first).
    std::vector<uint64_t> read() {
        std::vector<uint64_t> now =
            read_percpu_counters(map_fd_, static_cast<unsigned>(previous_.size()));
        std::vector<uint64_t> growth(now.size());
        for (size_t i = 0; i < now.size(); i++)
            growth[i] = now[i] >= previous_[i] ? now[i] - previous_[i] : now[i];
        previous_ = std::move(now);
        return growth;
    }

  private:
    int map_fd_;
    std::vector<uint64_t> previous_;
};

}  // namespace bpfscope
