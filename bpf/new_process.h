/* Shared between bpf/new_process.bpf.h and userspace/core/stack_collect.cpp
 * (NewPidListener). */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Emitted once per process, the first time a stack tool sees one of its
 * threads, so user space can pin its mappings before it may exit. */
struct new_process_event {
	__u32 tgid;
	__u32 tid;
};
