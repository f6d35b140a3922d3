#pragma once
// Where the memory controller lives on this machine: cgroup v2 when a cgroup2
// mount lists "memory" in its root cgroup.controllers, else the v1 hierarchy
// mounted with the memory controller. Found from /proc/self/mountinfo, never
// from assumed paths (distributions and containers mount them differently).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bpfscope::memcg {

struct MountEntry {
    std::string root;           // the mounted subtree of the filesystem ("/" for a full mount)
    std::string mount_point;    // octal escapes (\040) decoded
    std::string fs_type;        // "cgroup", "cgroup2", ...
    std::string super_options;  // for cgroup v1: the controller list, e.g. "rw,memory"
};

std::vector<MountEntry> parse_mountinfo(std::string_view text);

enum class CgroupVersion { kV1 = 1, kV2 = 2 };

struct MemoryController {
    CgroupVersion version = CgroupVersion::kV1;
    std::string mount_point;
};

// Chooses the memory controller's mount. `root_controllers(mount_point)`
// returns the cgroup.controllers text of a cgroup2 mount's root (injected so
// tests need no real cgroup fs). Returns nullopt with `why_not` filled.
std::optional<MemoryController> choose_memory_controller(
    const std::vector<MountEntry>& mounts,
    const std::function<std::string(const std::string&)>& root_controllers, std::string* why_not);

// The live answer for this process; throws UserError when there is none.
MemoryController locate_memory_controller();

// Reads a whole small file (cgroup and proc files); throws UserError naming it.
std::string read_text_file(const std::string& path);
// Same, but returns nullopt instead of throwing.
std::optional<std::string> try_read_text_file(const std::string& path);
// Writes `text` to an existing file (cgroup control files); throws UserError.
void write_text_file(const std::string& path, std::string_view text);

}  // namespace bpfscope::memcg
