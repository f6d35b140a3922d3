#include "core/profile_session.h"

#include <bpf/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "base/error.h"

namespace bpfscope {

void ProfileSkeletonDeleter::operator()(profile_bpf* skeleton) const {
    profile_bpf__destroy(skeleton);
}

ProfileSkeleton load_profile(const ProfileSetup& o) {
    ProfileSkeleton skel(profile_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the profile BPF object", errno));
    skel->rodata->filter_tgid = !o.pids.empty();
    skel->rodata->filter_tid = !o.tids.empty();
    skel->rodata->include_idle = o.include_idle;
    skel->rodata->capture_user = !o.kernel_only;
    skel->rodata->capture_kernel = !o.user_only;
    skel->rodata->stack_bytes = o.max_depth * sizeof(uint64_t);
    bpf_map__set_max_entries(skel->maps.stacks, 2 * o.storage_size);
    bpf_map__set_max_entries(skel->maps.samples, o.storage_size);
    if (int err = profile_bpf__load(skel.get()))
        throw UserError(errno_message("cannot load the profile BPF program", err));
    fill_id_set(bpf_map__fd(skel->maps.tgids), o.pids, "pid");
    fill_id_set(bpf_map__fd(skel->maps.tids), o.tids, "tid");
    return skel;
}

std::vector<int> read_cpu_list(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    std::vector<int> cpus;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t comma = text.find(',', pos);
        std::string part =
            text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        size_t dash = part.find('-');
        int first = std::stoi(part.substr(0, dash));
        int last = dash == std::string::npos ? first : std::stoi(part.substr(dash + 1));
        for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return cpus;
}

std::vector<CpuSampler> attach_cpu_samplers(bpf_program* program, const ProfileSetup& o) {
    std::vector<int> cpus =
        o.cpu >= 0 ? std::vector<int>{o.cpu} : read_cpu_list("/sys/devices/system/cpu/online");
    if (cpus.empty())
        throw UserError("cannot read the online CPUs from /sys/devices/system/cpu/online");
    std::vector<CpuSampler> samplers;
    for (int cpu : cpus) {
        perf_event_attr attr{};
        attr.size = sizeof(attr);
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        if (o.period) {
            attr.sample_period = o.period;
        } else {
            attr.freq = 1;
            attr.sample_freq = o.frequency;
        }
        UniqueFd fd(static_cast<int>(
            syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC)));
        if (!fd) {
            if (errno == ENODEV && o.cpu < 0)
                continue;  // went offline meanwhile
            throw UserError(errno_message(
                "cannot open a cpu-clock perf event on CPU " + std::to_string(cpu), errno));
        }
        BpfLink link(bpf_program__attach_perf_event(program, fd.get()));
        if (!link)
            throw UserError(errno_message(
                "cannot attach to the perf event of CPU " + std::to_string(cpu), errno));
        samplers.push_back(CpuSampler{std::move(fd), std::move(link)});
    }
    return samplers;
}

std::vector<RawStack> read_profile_samples(profile_bpf* skel, bool user_only, bool reset) {
    return read_stack_map<profile_key, uint64_t>(
        bpf_map__fd(skel->maps.samples), bpf_map__fd(skel->maps.stacks), PROFILE_MAX_STACK_DEPTH,
        reset, [user_only](const profile_key& key, uint64_t count, RawStack& stack) {
            // A user-mode sample has no kernel stack; show the kernel part only when present.
            stack.want_kernel = !user_only && (key.kernel_stack != 0 || !stack.want_user);
            stack.value = count;
        });
}

}  // namespace bpfscope
