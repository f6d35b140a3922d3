#include "kernel_facts.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "base/owners.h"
#include "kernel_facts.skel.h"
#include "support/process.h"

namespace bpfscope::test {

namespace {

using FactsSkeleton = Skeleton<kernel_facts_bpf, kernel_facts_bpf__destroy>;

int quiet(enum libbpf_print_level, const char*, va_list) {
    return 0;
}

// libbpf's own warnings about the refusals we are probing for would only
// clutter the test output.
struct QuietLibbpf {
    QuietLibbpf() : previous(libbpf_set_print(quiet)) {}
    ~QuietLibbpf() { libbpf_set_print(previous); }
    libbpf_print_fn_t previous;
};

ProbeOutcome probe_uncached(ProbeKind kind) {
    QuietLibbpf quiet_while_probing;
    ProbeOutcome outcome;
    FactsSkeleton skel(kernel_facts_bpf__open());
    if (!skel) {
        outcome.error = errno;
        return outcome;
    }
    bpf_program* wanted = nullptr;
    switch (kind) {
        case ProbeKind::kFentry:
            wanted = skel->progs.facts_fentry;
            break;
        case ProbeKind::kFexit:
            wanted = skel->progs.facts_fexit;
            break;
        case ProbeKind::kKprobe:
            wanted = skel->progs.facts_kprobe;
            break;
        case ProbeKind::kKretprobe:
            wanted = skel->progs.facts_kretprobe;
            break;
    }
    bpf_program* program;
    bpf_object__for_each_program(program, skel->obj)
        bpf_program__set_autoload(program, program == wanted);
    if (int err = kernel_facts_bpf__load(skel.get())) {
        outcome.error = -err;
        return outcome;
    }
    outcome.loaded = true;
    BpfLink link(bpf_program__attach(wanted));
    if (!link) {
        outcome.error = errno;
        return outcome;
    }
    outcome.attached = true;
    return outcome;
}

}  // namespace

const ProbeOutcome& probe_independently(ProbeKind kind) {
    static std::map<ProbeKind, ProbeOutcome> cache;
    auto it = cache.find(kind);
    if (it == cache.end())
        it = cache.emplace(kind, probe_uncached(kind)).first;
    return it->second;
}

std::optional<std::string> kernel_config(const std::string& option) {
    struct stat st {};
    if (stat("/proc/config.gz", &st) != 0)
        return std::nullopt;
    auto config = run_process({"zcat", "/proc/config.gz"});
    if (config.exit_code != 0)
        return std::nullopt;
    std::istringstream lines(config.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(option + "=", 0) == 0)
            return line.substr(option.size() + 1);
    }
    return std::string();
}

bool kprobe_pmu_present() {
    struct stat st {};
    return stat("/sys/bus/event_source/devices/kprobe", &st) == 0;
}

namespace {

// prog_ids held by any process: program fds and link fds (fdinfo "prog_id:").
std::set<uint32_t> programs_held_by_processes() {
    std::set<uint32_t> held;
    std::error_code error;
    for (const auto& process : std::filesystem::directory_iterator("/proc", error)) {
        std::error_code fd_error;
        for (const auto& fd :
             std::filesystem::directory_iterator(process.path() / "fdinfo", fd_error)) {
            std::ifstream info(fd.path());
            for (std::string line; std::getline(info, line);) {
                if (line.rfind("prog_id:", 0) == 0)
                    held.insert(uint32_t(std::stoul(line.substr(8))));
            }
        }
    }
    return held;
}

size_t orphaned_once(const std::initializer_list<const char*>& names) {
    std::set<uint32_t> held = programs_held_by_processes();
    size_t count = 0;
    for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
        UniqueFd fd(bpf_prog_get_fd_by_id(id));
        if (!fd)
            continue;
        bpf_prog_info info{};
        uint32_t length = sizeof info;
        if (bpf_obj_get_info_by_fd(fd.get(), &info, &length) != 0)
            continue;
        std::string name = info.name;
        bool ours = false;
        for (const char* wanted : names)
            ours = ours || name == std::string(wanted).substr(0, BPF_OBJ_NAME_LEN - 1);
        if (ours && !held.count(id))
            count++;
    }
    return count;
}

}  // namespace

size_t orphaned_programs(const std::initializer_list<const char*>& names) {
    size_t count = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        count = orphaned_once(names);
        if (count == 0)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return count;
}

}  // namespace bpfscope::test
