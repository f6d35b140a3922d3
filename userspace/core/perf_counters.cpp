#include "core/perf_counters.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/tracefs.h"

namespace bpfscope {

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

const std::vector<CounterSpec>& command_counter_specs() {
    static const std::vector<CounterSpec> specs = {
        {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, "ns"},
        {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, ""},
        {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, ""},
        {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, ""},
        {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, ""},
        {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, ""},
        {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, ""},
        {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, ""},
        {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, ""},
    };
    return specs;
}

std::vector<CounterSpec> tracepoint_counter_specs(const std::string& pattern) {
    auto colon = pattern.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == pattern.size() ||
        pattern.find(':', colon + 1) != std::string::npos)
        throw UserError("event '" + pattern +
                        "': expected a tracepoint as CATEGORY:NAME (wildcards allowed, e.g. "
                        "sched:sched_switch or 'syscalls:sys_enter_*')");
    const TracefsState& tracefs = ensure_tracefs();
    if (!tracefs.mounted)
        throw UserError("event '" + pattern + "': tracefs is not available (" + tracefs.problem +
                        "); mount it at /sys/kernel/tracing");
    std::string category = pattern.substr(0, colon), name = pattern.substr(colon + 1);
    namespace fs = std::filesystem;
    std::vector<CounterSpec> specs;
    std::error_code error;
    for (const auto& category_dir : fs::directory_iterator(tracefs.path + "/events", error)) {
        std::string category_name = category_dir.path().filename();
        if (!category_dir.is_directory() || fnmatch(category.c_str(), category_name.c_str(), 0))
            continue;
        for (const auto& event_dir : fs::directory_iterator(category_dir.path(), error)) {
            std::string event_name = event_dir.path().filename();
            std::ifstream id_file(event_dir.path() / "id");
            uint64_t id = 0;
            if (!event_dir.is_directory() || fnmatch(name.c_str(), event_name.c_str(), 0) ||
                !(id_file >> id))
                continue;
            specs.push_back({category_name + ":" + event_name, PERF_TYPE_TRACEPOINT, id, ""});
        }
    }
    if (specs.empty())
        throw UserError("event '" + pattern + "': no such tracepoint on this kernel; see " +
                        tracefs.path + "/available_events");
    std::sort(specs.begin(), specs.end(),
              [](const CounterSpec& a, const CounterSpec& b) { return a.name < b.name; });
    return specs;
}

PerfCounterSet::PerfCounterSet(pid_t pid, const std::vector<CounterSpec>& specs, Options options) {
    for (const auto& spec : specs) {
        perf_event_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = spec.type;
        attr.config = spec.config;
        attr.disabled = 1;
        attr.inherit = options.inherit;
        attr.enable_on_exec = options.enable_on_exec;
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

}  // namespace bpfscope
