// readstats: reads a memory.stat file N times (open + read + close each time,
// as `cat` would) and prints reads/s and per-read latency percentiles measured
// in user space. The default file is cgroup2's root memory.stat when the memory
// controller is on cgroup2, else the v1 root's.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

bool readable(const std::string& path) {
    return access(path.c_str(), R_OK) == 0;
}

std::string default_path() {
    // cgroup2 root with the memory controller: its root has no memory.stat
    // before 6.x on some kernels, so check the file itself.
    for (const char* candidate :
         {"/sys/fs/cgroup/memory.stat", "/sys/fs/cgroup/unified/memory.stat",
          "/sys/fs/cgroup/memory/memory.stat"}) {
        if (readable(candidate))
            return candidate;
    }
    return "/sys/fs/cgroup/memory/memory.stat";
}

void usage() {
    std::fprintf(stderr,
                 "usage: readstats [--path FILE] [--count N] [--delay-us N] [--quiet]\n"
                 "  reads FILE (default: the root memory.stat) N times (default 1000)\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = default_path();
    long count = 1000, delay_us = 0;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "readstats: %s needs a value\n", arg.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--path")
            path = value();
        else if (arg == "--count" || arg == "-n")
            count = std::strtol(value(), nullptr, 10);
        else if (arg == "--delay-us")
            delay_us = std::strtol(value(), nullptr, 10);
        else if (arg == "--quiet" || arg == "-q")
            quiet = true;
        else if (arg == "-h" || arg == "--help") {
            usage();
            return 0;
        } else {
            std::fprintf(stderr, "readstats: unknown option '%s'\n", arg.c_str());
            usage();
            return 2;
        }
    }
    if (count <= 0) {
        std::fprintf(stderr, "readstats: --count must be a positive number\n");
        return 2;
    }
    std::vector<uint64_t> latencies;
    latencies.reserve(size_t(count));
    std::vector<char> buffer(1 << 16);
    uint64_t start = now_ns();
    for (long i = 0; i < count; i++) {
        uint64_t before = now_ns();
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::fprintf(stderr, "readstats: cannot open %s: %s\n", path.c_str(),
                         std::strerror(errno));
            return 1;
        }
        while (read(fd, buffer.data(), buffer.size()) > 0) {
        }
        close(fd);
        latencies.push_back(now_ns() - before);
        if (delay_us > 0)
            usleep(useconds_t(delay_us));
    }
    double elapsed_s = double(now_ns() - start) / 1e9;
    std::sort(latencies.begin(), latencies.end());
    auto percentile = [&](double q) {
        size_t index = std::min(latencies.size() - 1, size_t(q * double(latencies.size())));
        return double(latencies[index]) / 1000.0;
    };
    if (!quiet) {
        std::printf("file: %s\nreads: %ld\nreads_per_s: %.0f\n", path.c_str(), count,
                    double(count) / elapsed_s);
        std::printf("latency_us: p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", percentile(0.50),
                    percentile(0.90), percentile(0.99), double(latencies.back()) / 1000.0);
    }
    return 0;
}
