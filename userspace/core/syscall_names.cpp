#include "core/syscall_names.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "base/error.h"
#include "base/logging.h"
#include "base/owners.h"
#include "core/map_iteration.h"
#include "core/tracefs.h"
#include "syscall_names.skel.h"

namespace bpfscope {

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr const char* kEnterPrefix = "sys_enter_";

}  // namespace

std::vector<SyscallArgument> parse_syscall_format(const std::string& format_text) {
    // "\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;"
    static const std::regex field_line(R"(^\s*field:(.+?)\s*;\s*offset:)");
    std::vector<SyscallArgument> arguments;
    bool after_number = false;
    std::istringstream in(format_text);
    std::string line;
    while (std::getline(in, line)) {
        std::smatch match;
        if (!std::regex_search(line, match, field_line))
            continue;
        std::string declaration = match[1];
        // The name is the last identifier; the type is what comes before it.
        size_t end = declaration.size();
        size_t start = end;
        while (start > 0 && (isalnum(static_cast<unsigned char>(declaration[start - 1])) ||
                             declaration[start - 1] == '_'))
            start--;
        SyscallArgument argument{declaration.substr(0, start), declaration.substr(start)};
        while (!argument.type.empty() && argument.type.back() == ' ') argument.type.pop_back();
        if (argument.name == "__syscall_nr") {
            after_number = true;
            continue;
        }
        if (after_number)
            arguments.push_back(std::move(argument));
    }
    return arguments;
}

std::string format_syscall_arguments(const std::vector<SyscallArgument>& arguments,
                                     const uint64_t (&values)[6]) {
    std::string text;
    if (arguments.empty()) {
        for (unsigned i = 0; i < 6; i++) text += fmt::format("{}{:#x}", i ? ", " : "", values[i]);
        return text;
    }
    for (size_t i = 0; i < arguments.size() && i < 6; i++) {
        const auto& argument = arguments[i];
        bool is_signed = argument.type.find("unsigned") == std::string::npos &&
                         (argument.type == "int" || argument.type == "long" ||
                          argument.type == "pid_t" || argument.type == "off_t" ||
                          argument.type == "loff_t" || argument.type == "clockid_t" ||
                          argument.type == "key_serial_t" || argument.type == "timer_t");
        std::string value;
        if (argument.is_pointer())
            value = fmt::format("{:#x}", values[i]);
        else if (is_signed &&
                 (argument.type == "long" || argument.type == "off_t" || argument.type == "loff_t"))
            value = std::to_string(int64_t(values[i]));
        else if (is_signed)
            value = std::to_string(int32_t(values[i]));
        else if (argument.type == "unsigned int" || argument.type == "u32" ||
                 argument.type == "uid_t" || argument.type == "gid_t" || argument.type == "umode_t")
            value = std::to_string(uint32_t(values[i]));
        else
            value = std::to_string(values[i]);
        text += fmt::format("{}{}={}", i ? ", " : "", argument.name, value);
    }
    return text;
}

std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name ? name : "E" + std::to_string(err);
}

using SyscallNamesSkeleton = Skeleton<syscall_names_bpf, syscall_names_bpf__destroy>;

// The learners' attachments live in a helper process. Detaching a program from
// a syscall event waits for a tracepoint grace period (tens of ms here), so
// detaching hundreds of them would stall the tool for seconds, during the run
// and again at exit. The helper attaches them all, detaches one when told (its
// event id on `commands`) and, when the tool ends (the pipe closes, even on
// SIGKILL), detaches the rest on its own time while the tool has already exited.
struct SyscallNames::Learner {
    SyscallNamesSkeleton skel;
    UniqueFd commands;  // write end: event ids to detach
    size_t attached = 0;
    std::set<uint32_t> detached;
};

namespace {

// In the helper (a grandchild of the tool, in its own session): attach, report
// how many, then serve detach commands until the tool is gone.
[[noreturn]] void run_learner_helper(bpf_program* learn,
                                     const std::map<uint32_t, std::string>& event_names,
                                     int commands, int ready) {
    std::map<uint32_t, BpfLink> links;
    for (const auto& [id, name] : event_names) {
        LIBBPF_OPTS(bpf_tracepoint_opts, options, .bpf_cookie = id);
        bpf_link* link = bpf_program__attach_tracepoint_opts(
            learn, "syscalls", (std::string(kEnterPrefix) + name).c_str(), &options);
        if (link)
            links[id].reset(link);
    }
    uint32_t attached = uint32_t(links.size());
    if (write(ready, &attached, sizeof(attached)) != sizeof(attached))
        _exit(1);
    close(ready);
    uint32_t id;
    while (read(commands, &id, sizeof(id)) == sizeof(id)) links.erase(id);
    links.clear();  // the tool has ended: detach the rest, slowly, on our own time
    _exit(0);
}

}  // namespace

SyscallNames::SyscallNames() : learner_(std::make_unique<Learner>()) {
    const TracefsState& tracefs = ensure_tracefs();
    if (!tracefs.mounted)
        throw UserError("tracefs is not available (" + tracefs.problem +
                        "); syscall names come from its syscall events: mount it at "
                        "/sys/kernel/tracing");
    events_dir_ = tracefs.path + "/events/syscalls";
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(events_dir_, error)) {
        std::string event = entry.path().filename();
        if (event.rfind(kEnterPrefix, 0) != 0)
            continue;
        std::string id = read_text(entry.path() / "id");
        if (id.empty())
            continue;
        event_names_[uint32_t(std::stoul(id))] = event.substr(strlen(kEnterPrefix));
    }
    if (event_names_.empty()) {
        spdlog::warn(
            "no syscall events in {} (kernel without CONFIG_FTRACE_SYSCALLS?): syscalls are "
            "shown by number",
            events_dir_);
        return;
    }
    learner_->skel.reset(syscall_names_bpf__open_and_load());
    if (!learner_->skel)
        throw UserError(errno_message("cannot load the syscall-name learner BPF program", errno));
    int commands[2], ready[2];
    // A socket for the commands: a send to a helper that died fails with EPIPE
    // (MSG_NOSIGNAL) instead of killing the tool.
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, commands) != 0 ||
        pipe2(ready, O_CLOEXEC) != 0)
        throw UserError(errno_message("cannot create a pipe for the syscall-name learner", errno));
    std::cout.flush();
    pid_t child = fork();
    if (child < 0)
        throw UserError(errno_message("cannot start the syscall-name learner", errno));
    if (child == 0) {
        // Double fork: the helper is nobody's zombie and outlives the tool.
        if (fork() != 0)
            _exit(0);
        setsid();  // Ctrl-C goes to the tool's process group, not here
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        int null = open("/dev/null", O_RDWR);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);  // hold none of the tool's output pipes open
        dup2(null, STDERR_FILENO);
        close(commands[1]);
        close(ready[0]);
        run_learner_helper(learner_->skel->progs.syscall_names_learn, event_names_, commands[0],
                           ready[1]);
    }
    waitpid(child, nullptr, 0);
    close(commands[0]);
    close(ready[1]);
    learner_->commands.reset(commands[1]);
    UniqueFd ready_read(ready[0]);
    uint32_t attached = 0;
    if (read(ready_read.get(), &attached, sizeof(attached)) != sizeof(attached))
        throw UserError("the syscall-name learner did not start; run with -v for libbpf's output");
    learner_->attached = attached;
    spdlog::debug("syscall names: learner attached to {} of {} sys_enter events", attached,
                  event_names_.size());
}

SyscallNames::~SyscallNames() = default;

void SyscallNames::poll() {
    if (!learner_->skel)
        return;
    int fd = bpf_map__fd(learner_->skel->maps.event_by_nr);
    for_each_map_entry<int32_t, uint32_t>(fd, [&](int32_t nr, uint32_t id) {
        if (names_.count(nr))
            return;
        auto name = event_names_.find(id);
        if (name != event_names_.end())
            names_[nr] = name->second;
        // It has spoken: the helper detaches it, no more cost on this syscall.
        if (learner_->detached.insert(id).second &&
            send(learner_->commands.get(), &id, sizeof(id), MSG_NOSIGNAL) != sizeof(id))
            spdlog::debug("cannot ask the learner to detach event {}", id);
    });
}

std::string SyscallNames::name(int nr) const {
    auto found = names_.find(nr);
    return found != names_.end() ? found->second : "syscall_" + std::to_string(nr);
}

const std::vector<SyscallArgument>& SyscallNames::arguments(int nr) {
    auto cached = arguments_.find(nr);
    if (cached != arguments_.end())
        return cached->second;
    std::vector<SyscallArgument> parsed;
    if (auto name = names_.find(nr); name != names_.end())
        parsed = parse_syscall_format(
            read_text(events_dir_ + "/" + kEnterPrefix + name->second + "/format"));
    return arguments_[nr] = std::move(parsed);
}

size_t SyscallNames::learners_attached() const {
    return learner_->attached - learner_->detached.size();
}

}  // namespace bpfscope
