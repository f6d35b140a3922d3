/* Map helpers shared by every BPF program. Include after vmlinux.h and
 * bpf_helpers.h. */
#ifndef BPFSCOPE_MAPS_BPF_H
#define BPFSCOPE_MAPS_BPF_H

#ifndef EEXIST
#define EEXIST 17
#endif

/* bpf_map_update_elem() whose result is safe to compare with a negative errno.
 * Kernels before ~6.5 call the map's update function directly and return its
 * 32-bit error zero-extended into the 64-bit result (-EEXIST reads as
 * 4294967279 in a long): the int keeps clang comparing the low 32 bits. Found
 * by the VM suite on 6.1. Every update whose result is looked at goes through
 * here. */
static __always_inline int map_update(void *map, const void *key, const void *value, __u64 flags)
{
	int err = bpf_map_update_elem(map, key, value, flags);

	return err;
}

/* The value under key, inserting *initial first when there is none. NULL when
 * the map is full (or the new entry vanished at once). Another CPU inserting
 * the same key first is not a failure: its entry is returned. */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *initial)
{
	void *value = bpf_map_lookup_elem(map, key);
	int err;

	if (value)
		return value;
	err = map_update(map, key, initial, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

#endif
