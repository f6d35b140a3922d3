#pragma once
// One line of /proc/PID/maps, parsed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfscope::symbols {

struct MapsEntry {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t offset = 0;  // file offset the mapping starts at
    uint32_t dev_major = 0;
    uint32_t dev_minor = 0;
    uint64_t inode = 0;
    bool readable = false;
    bool writable = false;
    bool executable = false;
    std::string path;      // "" for anonymous memory, "[vdso]", "[stack]", or a file path
    bool deleted = false;  // the kernel appended " (deleted)" (stripped from path)

    bool is_file() const { return inode != 0 && !path.empty() && path.front() == '/'; }
};

// Parses one maps line; nullopt when it is not in the expected format.
std::optional<MapsEntry> parse_maps_line(std::string_view line);

// Reads and parses /proc/PID/maps; nullopt when it cannot be read (process gone,
// or no permission).
std::optional<std::vector<MapsEntry>> read_process_maps(uint32_t pid);

}  // namespace bpfscope::symbols
