#include "memcg/cgroup_tree.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "base/error.h"
#include "base/logging.h"

namespace bpfscope::memcg {

namespace fs = std::filesystem;

ReadLevel parse_read_level(const std::string& text) {
    if (text == "root")
        return ReadLevel::kRoot;
    if (text == "mid")
        return ReadLevel::kMid;
    if (text == "leaf")
        return ReadLevel::kLeaf;
    throw UserError("--read-level must be root, mid or leaf, not '" + text + "'");
}

const char* read_level_name(ReadLevel level) {
    switch (level) {
        case ReadLevel::kRoot:
            return "root";
        case ReadLevel::kMid:
            return "mid";
        case ReadLevel::kLeaf:
            return "leaf";
    }
    return "?";
}

std::unique_ptr<CgroupTree> CgroupTree::create(const MemoryController& controller,
                                               const CgroupTreeOptions& options) {
    if (options.depth < 1 || options.depth > 8)
        throw UserError("--depth must be between 1 and 8");
    if (options.width < 1 || options.width > 64)
        throw UserError("--width must be between 1 and 64");
    double cgroups = 0;
    for (int level = 0; level <= options.depth; level++) cgroups += std::pow(options.width, level);
    if (cgroups > 20000)
        throw UserError("--depth/--width would create " + std::to_string(int64_t(cgroups)) +
                        " cgroups; keep it under 20000");
    std::unique_ptr<CgroupTree> tree(new CgroupTree(controller));
    tree->build(options);  // on a throw, ~CgroupTree removes what was made
    return tree;
}

void CgroupTree::make_directory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0)
        throw UserError(errno_message("cannot create cgroup " + path, errno) +
                        (errno == EACCES || errno == EPERM ? " (run as root)" : ""));
    created_.push_back(path);
}

void CgroupTree::build(const CgroupTreeOptions& options) {
    const std::string& mount = controller_.mount_point;
    bool v2 = controller_.version == CgroupVersion::kV2;
    if (v2) {
        // Children get the memory controller only if every ancestor enables it.
        std::string root_subtree = mount + "/cgroup.subtree_control";
        std::string enabled = try_read_text_file(root_subtree).value_or("");
        if (enabled.find("memory") == std::string::npos) {
            write_text_file(root_subtree, "+memory");
            notes_.push_back("enabled +memory in " + root_subtree + " (left enabled)");
        }
    }
    top_ = mount + "/" + options.name_prefix + "-" + std::to_string(::getpid());
    make_directory(top_);
    if (!v2) {
        // Old v1 kernels default to a flat hierarchy; the tree must aggregate.
        std::string use_hierarchy = top_ + "/memory.use_hierarchy";
        auto value = try_read_text_file(use_hierarchy);
        if (value && value->rfind("0", 0) == 0) {
            try {
                write_text_file(use_hierarchy, "1");
            } catch (const UserError& error) {
                notes_.push_back(std::string("memory.use_hierarchy stays 0: ") + error.what());
            }
        }
    }
    std::vector<std::string> level_dirs{top_};
    int mid_level = (options.depth + 1) / 2;
    mid_ = top_;
    for (int level = 1; level <= options.depth; level++) {
        if (v2) {
            for (const auto& parent : level_dirs)
                write_text_file(parent + "/cgroup.subtree_control", "+memory");
        }
        std::vector<std::string> next;
        for (const auto& parent : level_dirs) {
            for (int child = 0; child < options.width; child++) {
                std::string path = parent + "/" + (level == options.depth ? "leaf" : "n") +
                                   std::to_string(level) + "-" + std::to_string(child);
                make_directory(path);
                next.push_back(path);
            }
        }
        if (level == mid_level)
            mid_ = next.front();
        level_dirs = std::move(next);
    }
    leaves_ = std::move(level_dirs);
    if (options.depth == 1)
        mid_ = leaves_.front();
}

const std::string& CgroupTree::level_path(ReadLevel level) const {
    switch (level) {
        case ReadLevel::kRoot:
            return top_;
        case ReadLevel::kMid:
            return mid_;
        case ReadLevel::kLeaf:
            return leaves_.front();
    }
    return top_;
}

void CgroupTree::move_process(const std::string& cgroup, pid_t pid) const {
    write_text_file(cgroup + "/cgroup.procs", std::to_string(pid));
}

std::vector<std::string> CgroupTree::remove() {
    std::vector<std::string> left;
    // A task that just exited may keep its cgroup busy for a moment.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!created_.empty()) {
        const std::string& path = created_.back();
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT) {
            created_.pop_back();
            continue;
        }
        if (errno == EBUSY && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        left.push_back(path);
        created_.pop_back();
    }
    return left;
}

CgroupTree::~CgroupTree() {
    auto left = remove();
    for (const auto& path : left) spdlog::warn("could not remove cgroup {}: still busy", path);
}

std::vector<std::string> remove_stale_trees(const MemoryController& controller,
                                            const std::string& name_prefix) {
    std::vector<std::string> removed;
    std::error_code error;
    std::string wanted = name_prefix + "-";
    for (const auto& entry : fs::directory_iterator(controller.mount_point, error)) {
        std::string name = entry.path().filename();
        if (name.rfind(wanted, 0) != 0 || !entry.is_directory(error))
            continue;
        std::string pid_text = name.substr(wanted.size());
        if (pid_text.empty() || !std::all_of(pid_text.begin(), pid_text.end(), ::isdigit))
            continue;
        pid_t pid = pid_t(std::stol(pid_text));
        if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        // cgroup directories hold only control files; rmdir works bottom-up.
        std::vector<std::string> dirs;
        for (auto it = fs::recursive_directory_iterator(entry.path(), error);
             it != fs::recursive_directory_iterator(); it.increment(error)) {
            if (error)
                break;
            if (it->is_directory(error))
                dirs.push_back(it->path());
        }
        std::sort(dirs.begin(), dirs.end(),
                  [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
        for (const auto& dir : dirs) ::rmdir(dir.c_str());
        if (::rmdir(entry.path().c_str()) == 0)
            removed.push_back(entry.path());
    }
    return removed;
}

}  // namespace bpfscope::memcg
