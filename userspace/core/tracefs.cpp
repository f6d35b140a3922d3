#include "core/tracefs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/logging.h"

namespace bpfscope {

namespace {
constexpr unsigned long kTracefsMagic = 0x74726163;

bool is_tracefs(const std::string& path) {
    struct statfs fs {};
    return statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == kTracefsMagic;
}
}  // namespace

TracefsState probe_tracefs() {
    TracefsState state;
    for (const char* candidate : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
        if (is_tracefs(candidate)) {
            state.mounted = true;
            state.path = candidate;
            return state;
        }
    }
    state.problem = "tracefs is not mounted";
    return state;
}

const TracefsState& ensure_tracefs() {
    static std::optional<TracefsState> cached;
    if (cached)
        return *cached;
    TracefsState state = probe_tracefs();
    if (!state.mounted) {
        if (geteuid() != 0) {
            state.problem =
                "tracefs is not mounted and we are not root: mount it with "
                "'mount -t tracefs nodev /sys/kernel/tracing'";
        } else if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) {
            state.mounted = true;
            state.mounted_by_us = true;
            state.path = "/sys/kernel/tracing";
            state.problem.clear();
            spdlog::info("mounted tracefs at /sys/kernel/tracing (it was not mounted)");
        } else {
            state.problem = std::string("tracefs is not mounted and mounting it failed: ") +
                            std::strerror(errno);
        }
    }
    cached = state;
    return *cached;
}

}  // namespace bpfscope
