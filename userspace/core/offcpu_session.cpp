#include "core/offcpu_session.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cmath>

#include "base/error.h"
#include "symbols/kallsyms.h"

namespace bpfscope {

void OffcpuSkeletonDeleter::operator()(offcputime_bpf* skeleton) const {
    offcputime_bpf__destroy(skeleton);
}

int parse_state(const std::string& text) {
    if (text.empty())
        return -1;
    if (text == "R" || text == "running")
        return 0;
    if (text == "S" || text == "interruptible")
        return 1;
    if (text == "D" || text == "uninterruptible")
        return 2;
    try {
        return std::stoi(text);
    } catch (const std::exception&) {
        throw UserError("--state " + text + ": expected a number or R, S, D");
    }
}

OffcpuSkeleton load_offcputime(const OffcpuSetup& o, bool btf) {
    OffcpuSkeleton skel(offcputime_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the offcputime BPF object", errno));
    auto* ro = skel->rodata;
    ro->filter_tgid = !o.pids.empty();
    ro->filter_tid = !o.tids.empty();
    ro->kernel_threads_only = o.kthreads_only;
    ro->user_threads_only = o.user_threads_only;
    ro->state_filter = parse_state(o.state);
    ro->min_block_ns = o.min_us * 1000;
    ro->max_block_ns = o.max_us == UINT64_MAX ? UINT64_MAX : o.max_us * 1000;
    ro->capture_user = !o.kernel_only;
    ro->capture_kernel = !o.user_only;
    ro->capture_at_switch_out = !btf || o.capture == "switch-out";
    ro->reuse_stacks = btf && !o.no_reuse && o.capture == "switch-in";
    ro->max_stack_bytes = o.max_depth * sizeof(uint64_t);
    ro->this_tgid = static_cast<uint32_t>(getpid());
    const auto& kallsyms = symbols::Kallsyms::system();
    ro->kernel_text_start = kallsyms.address("_stext").value_or(0);
    ro->kernel_text_end = kallsyms.address("_etext").value_or(0);
    ro->sched_text_start = kallsyms.address("__sched_text_start").value_or(0);
    ro->sched_text_end =
        ro->sched_text_start ? kallsyms.address("__sched_text_end").value_or(0) : 0;
    if (!ro->sched_text_end)
        ro->sched_text_start = 0;
    bpf_program__set_autoload(btf ? skel->progs.offcpu_switch_raw : skel->progs.offcpu_switch_btf,
                              false);
    bpf_program__set_autoload(skel->progs.offcpu_switch_empty, o.empty_program);
    bpf_program__set_autoload(btf ? skel->progs.offcpu_exec_raw : skel->progs.offcpu_exec_btf,
                              false);
    bpf_map__set_max_entries(skel->maps.stacks, 2 * o.storage_size);  // user and kernel stacks
    bpf_map__set_max_entries(skel->maps.blocks, o.storage_size);
    if (btf)
        bpf_map__set_max_entries(skel->maps.task_by_tid, 1);
    if (int err = offcputime_bpf__load(skel.get()))
        throw UserError(errno_message("cannot load the offcputime BPF programs", err));
    fill_id_set(bpf_map__fd(skel->maps.tgids), o.pids, "pid");
    fill_id_set(bpf_map__fd(skel->maps.tids), o.tids, "tid");
    return skel;
}

std::vector<RawStack> read_offcpu_blocks(offcputime_bpf* skel, bool user_only, bool reset) {
    return read_stack_map<offcpu_key, offcpu_value>(
        bpf_map__fd(skel->maps.blocks), bpf_map__fd(skel->maps.stacks), OFFCPU_MAX_STACK_DEPTH,
        reset, [user_only](const offcpu_key&, const offcpu_value& value, RawStack& stack) {
            stack.want_kernel = !user_only;
            stack.value = value.total_ns / 1000;
        });
}

}  // namespace bpfscope
