#pragma once
// A cgroup v2 directory as BPF sees it: its id (the directory's inode, what
// bpf_get_current_cgroup_id() returns) and its depth below the v2 root (for
// bpf_get_current_ancestor_cgroup_id()). Tools that filter by -c CGROUP share it.
#include <cstdint>
#include <string>

namespace bpfscope {

struct CgroupIdentity {
    uint64_t id = 0;
    uint32_t level = 0;  // 0: the v2 root itself
};

// Throws UserError ("<option> PATH: ...") when PATH cannot be read or is not
// inside a cgroup v2 hierarchy.
CgroupIdentity cgroup_v2_identity(const std::string& path, const std::string& option = "-c");

}  // namespace bpfscope
