#include "core/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>

namespace bpfscope {

namespace {
bool g_verbose = false;

int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
    // Without -v libbpf's own warnings are noise next to our one-line errors:
    // every failure is reported by us with its reason. -v shows everything.
    if (!g_verbose)
        return 0;
    (void)level;
    return std::vfprintf(stderr, format, args);
}
}  // namespace

void setup_libbpf_logging(bool verbose) {
    g_verbose = verbose;
    libbpf_set_print(print_libbpf);
}

}  // namespace bpfscope
