#pragma once
// offcputime's BPF setup, shared by the offcputime tool and `bpfscope serve`
// (/debug/pprof/offcpu): bpf/offcputime.bpf.c configured and loaded, and its
// blocks read as RawStacks (values in microseconds).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/owners.h"
#include "core/stack_collect.h"
#include "offcputime.h"
#include "offcputime.skel.h"

namespace bpfscope {

struct OffcpuSetup {
    bool user_only = false, kernel_only = false;
    std::vector<uint32_t> pids, tids;
    bool kthreads_only = false, user_threads_only = false;
    uint64_t min_us = 1, max_us = UINT64_MAX;
    std::string state;  // "", R/S/D, running/interruptible/uninterruptible, or a number
    uint32_t storage_size = 10240, max_depth = OFFCPU_MAX_STACK_DEPTH;
    std::string capture = "switch-in";
    bool no_reuse = false, force_raw_tp = false, empty_program = false;
};

// An owner with an out-of-line deleter: Skeleton<> names the skeleton's
// static destroy function, which would give these functions internal linkage.
struct OffcpuSkeletonDeleter {
    void operator()(offcputime_bpf* skeleton) const;
};
using OffcpuSkeleton = std::unique_ptr<offcputime_bpf, OffcpuSkeletonDeleter>;

// The task state filter as the BPF side takes it (-1: any). Throws UserError.
int parse_state(const std::string& text);

// Opens, configures (`btf`: tp_btf programs, else raw_tp) and loads the
// programs and fills the filters; attaching is the caller's. Throws UserError.
OffcpuSkeleton load_offcputime(const OffcpuSetup& setup, bool btf);

// Blocks by stack, in microseconds (with `reset`, deleted once read).
std::vector<RawStack> read_offcpu_blocks(offcputime_bpf* skel, bool user_only, bool reset);

}  // namespace bpfscope
