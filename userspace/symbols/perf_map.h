#pragma once
// JIT symbol maps (/tmp/perf-PID.map), written by runtimes that generate code (V8/node
// with --perf-basic-prof, the JVM with perf-map-agent, LuaJIT, ...): one line per
// function, "START SIZE NAME" with START and SIZE in hex.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfscope::symbols {

class PerfMap {
  public:
    struct Entry {
        uint64_t start = 0;
        uint64_t size = 0;
        std::string name;
    };

    static PerfMap parse(std::string_view text);
    // nullopt when the file cannot be read (no map: the usual case).
    static std::optional<PerfMap> read(const std::string& path);

    // The function holding `address`; with overlapping entries (code regenerated at
    // the same place) the one written last wins.
    const Entry* find(uint64_t address) const;
    size_t size() const { return entries_.size(); }

  private:
    std::vector<Entry> entries_;  // sorted by start; on equal start, in file order
};

}  // namespace bpfscope::symbols
