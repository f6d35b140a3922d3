#include "core/command_stat.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/error.h"
#include "core/statistics.h"
#include "report/model.h"

namespace bpfscope {

using json = nlohmann::json;

namespace {

uint64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Owns the two ends of a pipe.
struct Pipe {
    int read_end = -1, write_end = -1;
    Pipe() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            throw UserError(errno_message("cannot create a pipe", errno));
        read_end = fds[0];
        write_end = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read_end >= 0)
            ::close(read_end);
        read_end = -1;
    }
    void close_write() {
        if (write_end >= 0)
            ::close(write_end);
        write_end = -1;
    }
};

constexpr const char* kWallTime = "wall-time";

// Counter name -> one value per run (runs where it was not counted are skipped).
std::map<std::string, std::vector<double>> values_by_counter(const StatRuns& runs) {
    std::map<std::string, std::vector<double>> values;
    for (const CommandRun& run : runs.runs) {
        values[kWallTime].push_back(double(run.wall_ns));
        for (const CounterReading& counter : run.counters)
            if (counter.supported)
                values[counter.name].push_back(double(counter.value));
    }
    return values;
}

double mean_of(const std::vector<double>& values) {
    double sum = 0;
    for (double v : values) sum += v;
    return values.empty() ? 0 : sum / double(values.size());
}

double relative_stddev(const std::vector<double>& values) {
    if (values.size() < 2)
        return 0;
    double mean = mean_of(values), squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return mean != 0 ? std::sqrt(squares / double(values.size() - 1)) / mean : 0;
}

// Counters in the order the first run lists them, wall time first.
std::vector<std::string> counter_order(const StatRuns& runs) {
    std::vector<std::string> order{kWallTime};
    if (!runs.runs.empty())
        for (const CounterReading& counter : runs.runs.front().counters)
            order.push_back(counter.name);
    return order;
}

std::string unit_of(const StatRuns& runs, const std::string& name) {
    if (name == kWallTime)
        return "ns";
    for (const CounterReading& counter : runs.runs.front().counters)
        if (counter.name == name)
            return counter.unit;
    return "";
}

}  // namespace

CommandRun run_counted(const std::vector<std::string>& command,
                       const std::vector<CounterSpec>& specs) {
    std::vector<char*> argv;
    for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    Pipe gate, exec_error;
    pid_t child = fork();
    if (child < 0)
        throw UserError(errno_message("cannot fork", errno));
    if (child == 0) {
        // Held until the counters are open on us; then exec (which enables them).
        char go = 0;
        if (::read(gate.read_end, &go, 1) != 1)
            _exit(127);
        execvp(argv[0], argv.data());
        int err = errno;
        (void)!::write(exec_error.write_end, &err, sizeof err);
        _exit(127);
    }
    gate.close_read();
    exec_error.close_write();
    CommandRun run;
    {
        PerfCounterSet counters(child, specs, {.inherit = true, .enable_on_exec = true});
        uint64_t started = now_ns();
        (void)!::write(gate.write_end, "x", 1);
        gate.close_write();
        int err = 0;
        ssize_t got = ::read(exec_error.read_end, &err, sizeof err);
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        run.wall_ns = now_ns() - started;
        if (got == ssize_t(sizeof err))
            throw UserError(fmt::format("cannot execute '{}': {}; check the command and PATH",
                                        command.front(), std::strerror(err)));
        run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        run.counters = counters.read();
    }
    for (CounterReading& counter : run.counters) {
        if (!counter.supported && counter.reason.rfind("not supported", 0) == 0 &&
            (counter.name == "cycles" || counter.name == "instructions" ||
             counter.name == "cache-misses"))
            counter.reason = "unavailable, no PMU: " + counter.reason;
    }
    return run;
}

report::Report stat_report(const StatRuns& runs) {
    report::Report report;
    report.tool = "stat";
    std::string command;
    for (const auto& arg : runs.command) command += (command.empty() ? "" : " ") + arg;
    report.header = {{"command", command, ""},
                     {"runs", uint64_t(runs.runs.size()), ""},
                     {"kernel_release", runs.kernel_release, ""}};
    auto values = values_by_counter(runs);
    auto& section = report.add_section("counters (mean of the runs)", "counters");
    report::Table table{"", {"counter", "value", "unit", "+-", "min", "max"}, {}};
    for (const auto& name : counter_order(runs)) {
        const auto& counted = values[name];
        if (counted.empty()) {
            std::string reason;
            for (const CounterReading& counter : runs.runs.front().counters)
                if (counter.name == name)
                    reason = counter.reason;
            table.rows.push_back({name, std::string("<not counted>")});
            section.notes.push_back(name + ": " + reason);
            continue;
        }
        auto [low, high] = std::minmax_element(counted.begin(), counted.end());
        table.rows.push_back({name, mean_of(counted), unit_of(runs, name),
                              fmt::format("{:.2f}%", relative_stddev(counted) * 100), *low, *high});
    }
    section.tables.push_back(std::move(table));
    std::set<int> statuses;
    for (const CommandRun& run : runs.runs) statuses.insert(run.exit_status);
    if (statuses.size() > 1 || *statuses.begin() != 0)
        report.warnings.push_back(
            fmt::format("the command exited with status {} in some runs", *statuses.rbegin()));
    for (const CommandRun& run : runs.runs)
        for (const CounterReading& counter : run.counters)
            if (counter.scaled) {
                report.warnings.push_back(counter.name +
                                          ": the PMU multiplexed it; the value is extrapolated");
                break;
            }
    return report;
}

std::string stat_document(const StatRuns& runs) {
    json doc = {{"schema", kStatSchema},
                {"version", kStatSchemaVersion},
                {"command", runs.command},
                {"kernel_release", runs.kernel_release}};
    json run_list = json::array();
    for (const CommandRun& run : runs.runs) {
        json counters = json::object();
        for (const CounterReading& counter : run.counters)
            counters[counter.name] = {{"value", counter.value},
                                      {"unit", counter.unit},
                                      {"supported", counter.supported},
                                      {"scaled", counter.scaled},
                                      {"reason", counter.reason}};
        run_list.push_back(
            {{"wall_ns", run.wall_ns}, {"exit_status", run.exit_status}, {"counters", counters}});
    }
    doc["runs"] = run_list;
    return doc.dump(1) + "\n";
}

StatRuns load_stat_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw UserError(errno_message("cannot open " + path, errno));
    std::stringstream text;
    text << in.rdbuf();
    json doc = json::parse(text.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw UserError(path + ": not JSON; give a file written by bpfscope stat --out");
    if (doc.value("schema", "") != kStatSchema)
        throw UserError(path + ": not a bpfscope stat report (schema '" +
                        doc.value("schema", std::string("none")) +
                        "'); give a file written by bpfscope stat --out");
    if (doc.value("version", 0) != kStatSchemaVersion)
        throw UserError(fmt::format("{}: stat report version {} (this bpfscope reads {})", path,
                                    doc.value("version", 0), kStatSchemaVersion));
    StatRuns runs;
    try {
        runs.command = doc.at("command").get<std::vector<std::string>>();
        runs.kernel_release = doc.value("kernel_release", "");
        for (const auto& run_doc : doc.at("runs")) {
            CommandRun run;
            run.wall_ns = run_doc.at("wall_ns").get<uint64_t>();
            run.exit_status = run_doc.value("exit_status", 0);
            for (const auto& [name, counter] : run_doc.at("counters").items()) {
                CounterReading reading;
                reading.name = name;
                reading.value = counter.at("value").get<uint64_t>();
                reading.unit = counter.value("unit", "");
                reading.supported = counter.value("supported", false);
                reading.scaled = counter.value("scaled", false);
                reading.reason = counter.value("reason", "");
                run.counters.push_back(std::move(reading));
            }
            runs.runs.push_back(std::move(run));
        }
    } catch (const json::exception& error) {
        throw UserError(path + ": malformed stat report (" + error.what() + ")");
    }
    if (runs.runs.empty())
        throw UserError(path + ": the report holds no runs");
    return runs;
}

report::Report stat_comparison(const StatRuns& a, const StatRuns& b, const std::string& a_label,
                               const std::string& b_label) {
    report::Report report;
    report.tool = "stat";
    report.header = {{"a", a_label + " (" + std::to_string(a.runs.size()) + " runs)", ""},
                     {"b", b_label + " (" + std::to_string(b.runs.size()) + " runs)", ""}};
    if (a.command != b.command)
        report.warnings.push_back("the two files ran different commands");
    auto a_values = values_by_counter(a), b_values = values_by_counter(b);
    auto& section = report.add_section("B against A (means of the runs)", "comparison");
    report::Table table{"", {"counter", "A", "B", "B/A", "B-A [95% CI]", "verdict"}, {}};
    std::string primary;  // task-clock's verdict: the command's CPU cost
    std::vector<std::string> others;
    for (const auto& name : counter_order(a)) {
        const auto& va = a_values[name];
        const auto& vb = b_values[name];
        if (va.empty() || vb.empty())
            continue;
        std::vector<std::vector<double>> a_runs, b_runs;
        for (double v : va) a_runs.push_back({v});
        for (double v : vb) b_runs.push_back({v});
        Difference d = judge_differences(a_runs, b_runs, {Statistic{Statistic::kMean}})[0];
        std::string verdict = d.significant ? (d.diff > 0 ? "B higher" : "B lower")
                                            : "no significant difference (" + d.reason + ")";
        std::string change = fmt::format("{} {} by {:+.1f}%", name, d.diff > 0 ? "higher" : "lower",
                                         (d.b / d.a - 1) * 100);
        if (name == "task-clock")
            primary =
                d.significant ? "B differs: " + change : "no significant difference in " + name;
        else if (d.significant)
            others.push_back(change);
        table.rows.push_back(
            {name, d.a, d.b, d.a != 0 ? d.b / d.a : 0.0,
             fmt::format("{:+.4g} [{:+.4g}, {:+.4g}]", d.diff, d.ci.low, d.ci.high), verdict});
    }
    section.tables.push_back(std::move(table));
    std::string verdict = primary.empty() ? "task-clock was not counted in both files" : primary;
    for (size_t i = 0; i < others.size(); ++i) verdict += (i ? ", " : "; also: ") + others[i];
    auto& verdict_section = report.add_section("", "verdict");
    verdict_section.layout = report::FieldLayout::kLines;
    verdict_section.indent = 0;
    verdict_section.blank_before = true;
    verdict_section.add("verdict", verdict);
    if (a.runs.size() < 2 && b.runs.size() < 2)
        report.warnings.push_back(
            "both files hold a single run: the run-to-run spread is unknown, the verdict rests on "
            "the confidence interval alone (use --runs 5)");
    return report;
}

}  // namespace bpfscope
