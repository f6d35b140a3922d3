#pragma once
// Syscall names and argument names from the running kernel, not from a table
// frozen at build time. tracefs names every syscall event
// (events/syscalls/sys_enter_<name>, with its id and a format file listing the
// arguments) but not the syscall number behind it; a tiny learner program on
// every sys_enter_* event records number -> event id the first time each
// syscall is made, and is then detached from that event. A tool that counts
// raw_syscalls runs it beside its own programs, so every number it counts has
// passed a learner too.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bpfscope {

struct SyscallArgument {
    std::string type;  // "unsigned int", "const char *"
    std::string name;  // "fd"
    bool is_pointer() const { return type.find('*') != std::string::npos; }
};

// The arguments in a sys_enter_* format file (the fields after __syscall_nr).
std::vector<SyscallArgument> parse_syscall_format(const std::string& format_text);

// "fd=3, buf=0x7ffd1000, count=4096": pointers in hex, the rest in decimal
// (signed when the type is). Unknown arguments (no format): the six registers in hex.
std::string format_syscall_arguments(const std::vector<SyscallArgument>& arguments,
                                     const uint64_t (&values)[6]);

// "EAGAIN" for 11; "E<n>" when libc has no name.
std::string errno_name(int err);

class SyscallNames {
  public:
    // Reads the syscall events from tracefs (mounting it if needed) and
    // attaches the learner to each. Without syscall events (a kernel built
    // without CONFIG_FTRACE_SYSCALLS) it warns once and names are "syscall_<nr>".
    SyscallNames();
    ~SyscallNames();
    SyscallNames(const SyscallNames&) = delete;
    SyscallNames& operator=(const SyscallNames&) = delete;

    // Takes in what was learned and detaches the learners that have spoken.
    void poll();
    // "read"; "syscall_<nr>" when the number has no event (or was not seen yet).
    std::string name(int nr) const;
    bool known(int nr) const { return names_.count(nr) != 0; }
    // Its arguments from the format file (empty when unknown).
    const std::vector<SyscallArgument>& arguments(int nr);
    size_t events() const { return event_names_.size(); }
    size_t learners_attached() const;

  private:
    struct Learner;
    std::unique_ptr<Learner> learner_;
    std::string events_dir_;
    std::map<uint32_t, std::string> event_names_;  // tracefs event id -> syscall name
    std::map<int, std::string> names_;             // syscall number -> name
    std::map<int, std::vector<SyscallArgument>> arguments_;
};

}  // namespace bpfscope
