"""funclatency --backend kprobe on the memory.stat read path of the 6.1 guest: kprobe/kretprobe."""
import vmcheck


def check(r):
    vmcheck.check_memory_stat_path(r, "kprobe")
