#pragma once
// The processes a tool was asked to watch (-p): they must exist when it
// starts, and it ends when the last of them has exited.
#include <cstdint>
#include <string>
#include <vector>

namespace bpfscope {

// True while /proc/PID exists (and the process is not a zombie).
bool process_alive(uint32_t pid);

// Throws UserError naming the first pid that is not running.
void require_processes(const std::vector<uint32_t>& pids);

class ProcessWatch {
  public:
    explicit ProcessWatch(std::vector<uint32_t> pids) : pids_(std::move(pids)) {}
    // True once every watched pid has exited (never for an empty list).
    bool all_exited();
    // "process 123 exited" / "processes 123, 456 exited", for the end-of-run line.
    std::string describe() const;

  private:
    std::vector<uint32_t> pids_;
};

}  // namespace bpfscope
