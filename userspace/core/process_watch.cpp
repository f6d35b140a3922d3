#include "core/process_watch.h"

#include <fstream>
#include <string>

#include "base/error.h"

namespace bpfscope {

bool process_alive(uint32_t pid) {
    // "pid (comm) S ...": the state after the last ')'; Z and X are gone in all but name.
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = text.rfind(')');
    if (paren == std::string::npos || paren + 2 >= text.size())
        return false;
    char state = text[paren + 2];
    return state != 'Z' && state != 'X';
}

void require_processes(const std::vector<uint32_t>& pids) {
    for (uint32_t pid : pids)
        if (!process_alive(pid))
            throw UserError("-p " + std::to_string(pid) +
                            ": no such process; give the pid of a running process (see ps)");
}

bool ProcessWatch::all_exited() {
    if (pids_.empty())
        return false;
    for (uint32_t pid : pids_)
        if (process_alive(pid))
            return false;
    return true;
}

std::string ProcessWatch::describe() const {
    std::string list;
    for (uint32_t pid : pids_) list += (list.empty() ? "" : ", ") + std::to_string(pid);
    return (pids_.size() == 1 ? "process " : "processes ") + list + " exited";
}

}  // namespace bpfscope
