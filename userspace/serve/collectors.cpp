#include "serve/collectors.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "core/latency_session.h"
#include "core/runqlat_session.h"
#include "runqlat.h"

namespace bpfscope::serve {
namespace {

constexpr const char* kRunqlatHelp =
    "Scheduler run queue latency: time from a task becoming runnable to it running";

class RunqlatCollector : public Collector {
  public:
    RunqlatCollector(std::string key, bool per_cgroup, uint32_t max_cgroups)
        : key_(std::move(key)),
          per_cgroup_(per_cgroup),
          max_cgroups_(max_cgroups),
          session_(make_config(per_cgroup)) {}

    std::string key() const override { return key_; }
    std::string name() const override { return "runqlat"; }
    std::string attach() const override { return session_.tp_btf() ? "tp_btf" : "raw_tp"; }
    ProgramRunStats run_stats() const override { return sum_program_stats(session_.program_fds()); }
    uint64_t series_dropped() const override { return refused_.size(); }

    std::vector<std::pair<std::string, uint64_t>> drops() const override {
        auto c = session_.counters();
        return {{"task_storage_unavailable", c[RUNQLAT_TASK_STORAGE_FAILED]},
                {"histogram_map_full", c[RUNQLAT_HISTOGRAMS_FULL]}};
    }

    void collect(MetricSet& out) override {
        HistogramValue total, other;
        std::vector<std::pair<std::string, HistogramValue>> by_cgroup;
        for (const auto& entry : session_.read(false)) {
            HistogramValue value = seconds_histogram(entry.histogram);
            if (!per_cgroup_) {
                merge_into(total, value);
                continue;
            }
            merge_into(total, value);
            // Admission is sticky: the first max_cgroups cgroups seen keep their
            // series, later ones fold into "_other", so no series ever shrinks.
            bool admitted = admitted_.count(entry.id) > 0;
            if (!admitted && !refused_.count(entry.id)) {
                if (admitted_.size() < max_cgroups_) {
                    admitted_.insert(entry.id);
                    admitted = true;
                } else {
                    refused_.insert(entry.id);
                }
            }
            if (admitted)
                by_cgroup.emplace_back(names_.name(entry.id), std::move(value));
            else
                merge_into(other, value);
        }
        if (total.buckets.empty())
            total = seconds_histogram(report::Log2Histogram{});
        out.add_histogram("bpfscope_runqlat_seconds", kRunqlatHelp, std::move(total));
        if (!per_cgroup_)
            return;
        auto& family = out.family(
            "bpfscope_runqlat_cgroup_seconds",
            std::string(kRunqlatHelp) + ", by cgroup v2 (capped: the rest is cgroup=\"_other\")",
            MetricType::kHistogram);
        for (auto& [cgroup, value] : by_cgroup)
            family.samples.push_back(MetricSample{{{"cgroup", cgroup}}, 0, std::move(value)});
        if (!other.buckets.empty())
            family.samples.push_back(MetricSample{{{"cgroup", "_other"}}, 0, std::move(other)});
    }

  private:
    static RunqlatConfig make_config(bool per_cgroup) {
        RunqlatConfig config;
        config.key = per_cgroup ? RunqlatConfig::Key::kCgroup : RunqlatConfig::Key::kTotal;
        return config;
    }

    std::string key_;
    bool per_cgroup_;
    uint32_t max_cgroups_;
    RunqlatSession session_;
    std::set<uint32_t> admitted_, refused_;
    CgroupNames names_;
};

class FunclatencyCollector : public Collector {
  public:
    FunclatencyCollector(std::string key, const FunclatencyTarget& target)
        : key_(std::move(key)), target_(target), session_(targets(target), options(target)) {}

    std::string key() const override { return key_; }
    std::string name() const override { return "funclatency:" + target_.name; }
    std::string attach() const override {
        const auto& plan = session_.plans().front();
        return plan.backend ? backend_name(*plan.backend) : "none";
    }
    ProgramRunStats run_stats() const override { return session_.overhead(); }

    std::vector<std::pair<std::string, uint64_t>> drops() const override {
        return {{"start_map_full", last_.lost_starts},
                {"nesting_too_deep", last_.depth_overflow},
                {"exit_without_entry", last_.unmatched_exits}};
    }

    void collect(MetricSet& out) override {
        last_ = session_.collect(false).front();
        out.add_histogram("bpfscope_funclatency_seconds",
                          "Latency of each configured function or tracepoint bracket",
                          seconds_histogram(last_.histogram, double(last_.sum_ns) * 1e-9),
                          {{"target", target_.name}});
    }

  private:
    static std::vector<TargetSpec> targets(const FunclatencyTarget& target) {
        return {parse_target(target.target)};
    }
    static LatencyOptions options(const FunclatencyTarget& target) {
        LatencyOptions options;
        options.unit = "ns";
        options.pid = target.pid;
        options.measure_overhead = false;  // the exporter holds the stats scope
        return options;
    }

    std::string key_;
    FunclatencyTarget target_;
    LatencySession session_;
    LatencyResult last_;
};

std::string funclatency_key(const FunclatencyTarget& target) {
    return "funclatency " + target.name + "\n" + target.target +
           "\npid=" + std::to_string(target.pid);
}

}  // namespace

std::vector<std::string> collector_keys(const ServeConfig& config) {
    std::vector<std::string> keys;
    if (config.runqlat)
        keys.push_back(config.runqlat_per_cgroup
                           ? "runqlat per_cgroup max=" + std::to_string(config.runqlat_max_cgroups)
                           : "runqlat");
    for (const auto& target : config.funclatency) keys.push_back(funclatency_key(target));
    return keys;
}

std::unique_ptr<Collector> make_collector(const std::string& key, const ServeConfig& config) {
    if (key.rfind("runqlat", 0) == 0)
        return std::make_unique<RunqlatCollector>(key, config.runqlat_per_cgroup,
                                                  config.runqlat_max_cgroups);
    for (const auto& target : config.funclatency)
        if (funclatency_key(target) == key)
            return std::make_unique<FunclatencyCollector>(key, target);
    throw UserError("internal: no collector for key '" + key + "'");
}

std::string CgroupNames::name(uint32_t id) {
    auto found = names_.find(id);
    if (found == names_.end() && !missing_since_scan_.count(id)) {
        rescan();
        found = names_.find(id);
        if (found == names_.end())
            missing_since_scan_.insert(id);
    }
    return found != names_.end() ? found->second : "id:" + std::to_string(id);
}

void CgroupNames::rescan() {
    if (!scanned_once_) {
        scanned_once_ = true;
        std::ifstream mounts("/proc/mounts");
        std::string line;
        while (std::getline(mounts, line)) {
            std::istringstream fields(line);
            std::string device, dir, type;
            fields >> device >> dir >> type;
            if (type == "cgroup2") {
                mount_ = dir;
                break;
            }
        }
    }
    missing_since_scan_.clear();
    if (mount_.empty())
        return;
    names_.clear();
    namespace fs = std::filesystem;
    auto record = [&](const fs::path& dir) {
        struct stat st {};
        if (stat(dir.c_str(), &st) == 0) {
            std::string relative = fs::relative(dir, mount_).string();
            names_[uint32_t(st.st_ino)] = relative == "." ? "/" : "/" + relative;
        }
    };
    record(mount_);
    std::error_code error;
    for (fs::recursive_directory_iterator
             it(mount_, fs::directory_options::skip_permission_denied, error),
         end;
         it != end; it.increment(error)) {
        if (error)
            break;
        if (it->is_directory(error) && !it->is_symlink(error))
            record(it->path());
    }
}

}  // namespace bpfscope::serve
