#pragma once
// profile's BPF setup, shared by the profile tool and `bpfscope serve`
// (/debug/pprof/profile): bpf/profile.bpf.c loaded with its filters, one
// cpu-clock perf event per CPU driving it, and its samples read as RawStacks.
#include <bpf/libbpf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/owners.h"
#include "core/stack_collect.h"
#include "profile.h"
#include "profile.skel.h"

namespace bpfscope {

struct ProfileSetup {
    uint64_t frequency = 49, period = 0;  // period (ns of CPU time) wins when set
    std::vector<uint32_t> pids, tids;
    int cpu = -1;  // -1: every online CPU
    bool user_only = false, kernel_only = false, include_idle = false;
    uint32_t storage_size = 10240, max_depth = PROFILE_MAX_STACK_DEPTH;
};

// An owner with an out-of-line deleter: Skeleton<> names the skeleton's
// static destroy function, which would give these functions internal linkage.
struct ProfileSkeletonDeleter {
    void operator()(profile_bpf* skeleton) const;
};
using ProfileSkeleton = std::unique_ptr<profile_bpf, ProfileSkeletonDeleter>;

// Opens, configures and loads the program and fills its filters. Throws UserError.
ProfileSkeleton load_profile(const ProfileSetup& setup);

// The CPUs a list file such as /sys/devices/system/cpu/online names ("0-3,6").
std::vector<int> read_cpu_list(const std::string& path);

struct CpuSampler {
    UniqueFd event;
    BpfLink link;
};

// One cpu-clock perf event per CPU (or setup.cpu) with `program` attached.
std::vector<CpuSampler> attach_cpu_samplers(bpf_program* program, const ProfileSetup& setup);

// Samples by stack (with `reset`, deleted once read).
std::vector<RawStack> read_profile_samples(profile_bpf* skel, bool user_only, bool reset);

}  // namespace bpfscope
