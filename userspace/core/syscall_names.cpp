#include "core/syscall_names.h"

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <string.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <regex>
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

struct SyscallNames::Learner {
    SyscallNamesSkeleton skel;
    std::map<uint32_t, BpfLink> links;  // event id -> its learner
};

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
    for (const auto& [id, name] : event_names_) {
        LIBBPF_OPTS(bpf_tracepoint_opts, options, .bpf_cookie = id);
        bpf_link* link = bpf_program__attach_tracepoint_opts(
            learner_->skel->progs.syscall_names_learn, "syscalls", (kEnterPrefix + name).c_str(),
            &options);
        if (!link) {
            spdlog::debug("cannot attach the name learner to syscalls:sys_enter_{}: {}", name,
                          strerror(errno));
            continue;
        }
        learner_->links[id].reset(link);
    }
    spdlog::debug("syscall names: learner attached to {} of {} sys_enter events",
                  learner_->links.size(), event_names_.size());
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
        learner_->links.erase(id);  // it has spoken: no more cost on this syscall
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
    return learner_->links.size();
}

}  // namespace bpfscope
