"""funclatency, default backend, on the memory.stat read path of the 6.1 guest: fentry/fexit."""
import vmcheck


def check(r):
    vmcheck.check_memory_stat_path(r, "fentry")
