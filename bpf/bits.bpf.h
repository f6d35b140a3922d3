/* Log2 slot maths shared by every histogram. The rule matches
 * userspace/report/histogram.h: slot 0 holds 0, slot i >= 1 holds
 * [2^(i-1), 2^i), i.e. the bit width of the value. */
#ifndef BPFSCOPE_BITS_BPF_H
#define BPFSCOPE_BITS_BPF_H

#define BPFSCOPE_LOG2_SLOTS 65

static __always_inline __u32 log2_slot(__u64 value)
{
	__u32 width = 0;

	/* Branch-free binary search for the highest set bit. */
	if (value >> 32) { width += 32; value >>= 32; }
	if (value >> 16) { width += 16; value >>= 16; }
	if (value >> 8) { width += 8; value >>= 8; }
	if (value >> 4) { width += 4; value >>= 4; }
	if (value >> 2) { width += 2; value >>= 2; }
	if (value >> 1) { width += 1; value >>= 1; }
	return width + (__u32)value;
}

/* Quarter-octave slots for percentiles: values below 4 have their own slot;
 * above, each power of two is split in four equal parts. Mirrors
 * fine_slot() in userspace/report/histogram.h. */
#define BPFSCOPE_FINE_SLOTS 256

static __always_inline __u32 fine_slot(__u64 value)
{
	__u32 top;

	if (value < 4)
		return (__u32)value;
	top = log2_slot(value) - 1; /* index of the highest set bit, >= 2 */
	return 4 + (top - 2) * 4 + (__u32)((value >> (top - 2)) & 3);
}

#endif
