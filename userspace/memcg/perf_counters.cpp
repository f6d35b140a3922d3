#include "memcg/perf_counters.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bpfscope::memcg {

const std::vector<CounterSpec>& reader_counter_specs() {
    static const std::vector<CounterSpec> specs = {
        {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, "ns"},
        {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, ""},
        {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, ""},
        {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, ""},
        {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, ""},
        {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, ""},
    };
    return specs;
}

PerfCounterSet::PerfCounterSet(pid_t pid) {
    for (const auto& spec : reader_counter_specs()) {
        perf_event_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = spec.type;
        attr.config = spec.config;
        attr.disabled = 1;
        attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
        Counter counter{spec, -1, 0};
        counter.fd = int(::syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
        if (counter.fd < 0)
            counter.open_errno = errno;
        counters_.push_back(counter);
    }
}

PerfCounterSet::~PerfCounterSet() {
    for (auto& counter : counters_)
        if (counter.fd >= 0)
            ::close(counter.fd);
}

void PerfCounterSet::enable() {
    for (auto& counter : counters_)
        if (counter.fd >= 0)
            ::ioctl(counter.fd, PERF_EVENT_IOC_ENABLE, 0);
}

void PerfCounterSet::disable() {
    for (auto& counter : counters_)
        if (counter.fd >= 0)
            ::ioctl(counter.fd, PERF_EVENT_IOC_DISABLE, 0);
}

std::vector<CounterReading> PerfCounterSet::read() const {
    std::vector<CounterReading> readings;
    for (const auto& counter : counters_) {
        CounterReading reading;
        reading.name = counter.spec.name;
        reading.unit = counter.spec.unit;
        if (counter.fd < 0) {
            int err = counter.open_errno;
            bool absent = err == ENOENT || err == EOPNOTSUPP || err == ENODEV || err == EINVAL;
            reading.reason = std::string(absent ? "not supported" : "cannot open") + " (" +
                             std::strerror(err) + ")";
            readings.push_back(reading);
            continue;
        }
        uint64_t values[3] = {0, 0, 0};  // value, time enabled, time running
        if (::read(counter.fd, values, sizeof values) != ssize_t(sizeof values)) {
            reading.reason = errno_message("read failed", errno);
            readings.push_back(reading);
            continue;
        }
        reading.supported = true;
        reading.value = values[0];
        if (values[2] > 0 && values[2] < values[1]) {  // multiplexed: extrapolate
            reading.value = uint64_t(double(values[0]) * double(values[1]) / double(values[2]));
            reading.scaled = true;
        } else if (values[1] > 0 && values[2] == 0) {
            reading.supported = false;
            reading.reason = "never scheduled on the PMU";
        }
        readings.push_back(reading);
    }
    return readings;
}

}  // namespace bpfscope::memcg
