#pragma once
// A temporary cgroup tree under the memory controller for the built-in
// workload: `depth` levels below a top directory named
// <prefix>-<pid>, `width` children per cgroup. Owns every directory it made
// and removes them (deepest first) when destroyed, also after errors.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "memcg/cgroup_layout.h"

namespace bpfscope::memcg {

enum class ReadLevel { kRoot, kMid, kLeaf };
ReadLevel parse_read_level(const std::string& text);  // throws UserError
const char* read_level_name(ReadLevel level);

struct CgroupTreeOptions {
    int depth = 3;  // levels below the top; leaves = width^depth
    int width = 3;
    std::string name_prefix = "bpfscope-memcg";
};

class CgroupTree {
  public:
    // Creates the whole tree; on failure removes what it made and throws UserError.
    static std::unique_ptr<CgroupTree> create(const MemoryController& controller,
                                              const CgroupTreeOptions& options);
    ~CgroupTree();
    CgroupTree(const CgroupTree&) = delete;
    CgroupTree& operator=(const CgroupTree&) = delete;

    const MemoryController& controller() const { return controller_; }
    const std::string& top() const { return top_; }
    // A cgroup halfway down the first branch (an ancestor of the first leaf).
    const std::string& mid() const { return mid_; }
    const std::vector<std::string>& leaves() const { return leaves_; }
    size_t cgroup_count() const { return created_.size(); }
    const std::string& level_path(ReadLevel level) const;
    // Notes for the report (e.g. "enabled +memory in <root>/cgroup.subtree_control").
    const std::vector<std::string>& notes() const { return notes_; }

    // Puts a process into a cgroup of this tree (writes cgroup.procs).
    void move_process(const std::string& cgroup, pid_t pid) const;
    // Removes every directory, deepest first, retrying while the kernel still
    // sees exiting tasks. Idempotent. Returns the directories it could not remove.
    std::vector<std::string> remove();

  private:
    CgroupTree(MemoryController controller) : controller_(std::move(controller)) {}
    void make_directory(const std::string& path);
    void build(const CgroupTreeOptions& options);

    MemoryController controller_;
    std::string top_, mid_;
    std::vector<std::string> leaves_;
    std::vector<std::string> created_;  // parents before children
    std::vector<std::string> notes_;
};

// Removes trees left behind by earlier runs that were killed (SIGKILL leaves no
// chance to clean up): directories named <prefix>-<pid> whose pid is not alive.
// Returns the removed top directories.
std::vector<std::string> remove_stale_trees(const MemoryController& controller,
                                            const std::string& name_prefix = "bpfscope-memcg");

}  // namespace bpfscope::memcg
