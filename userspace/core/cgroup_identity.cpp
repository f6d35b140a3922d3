#include "core/cgroup_identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "base/error.h"

namespace bpfscope {

CgroupIdentity cgroup_v2_identity(const std::string& path, const std::string& option) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        throw UserError(
            errno_message(option + " " + path + ": cannot stat the cgroup directory", errno));
    // The v2 root is the highest directory that still has cgroup.controllers.
    std::filesystem::path dir = std::filesystem::weakly_canonical(path);
    uint32_t level = 0;
    for (auto p = dir; p.has_parent_path() && p != p.parent_path(); p = p.parent_path()) {
        if (std::filesystem::exists(p / "cgroup.controllers") &&
            !std::filesystem::exists(p.parent_path() / "cgroup.controllers"))
            return {uint64_t(st.st_ino), level};
        level++;
    }
    throw UserError(option + " " + path +
                    ": not in a cgroup v2 hierarchy (no cgroup.controllers found)");
}

}  // namespace bpfscope
