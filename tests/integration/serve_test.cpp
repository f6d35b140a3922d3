// bpfscope serve against the real kernel and real consumers: promtool checks
// the exposition, a real Prometheus (started by the test on a loopback port
// with a 1 s scrape interval and a temporary storage dir) scrapes it, and its
// HTTP API must agree with bpfscope's own tools on the same window.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/background_process.h"
#include "support/preconditions.h"
#include "support/process.h"

using bpfscope::test::BackgroundProcess;
using bpfscope::test::bin;
using bpfscope::test::run_process;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A temporary directory removed at the end.
struct TempDir {
    fs::path path;
    TempDir() {
        char name[] = "/tmp/bpfscope-serve-test-XXXXXX";
        path = mkdtemp(name);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string file(const std::string& name, const std::string& text) const {
        std::ofstream out(path / name);
        out << text;
        return (path / name).string();
    }
};

// The port serve printed in "serving http://HOST:PORT/metrics".
int served_port(BackgroundProcess& serve) {
    std::smatch match;
    std::string out = serve.output_so_far();
    static const std::regex pattern("serving http://[^:]+:([0-9]+)/metrics");
    return std::regex_search(out, match, pattern) ? std::stoi(match[1]) : -1;
}

// A free loopback port (bound and released: a small race, fine for a test).
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

struct Scrape {
    int status = 0;
    std::string content_type, body;
};

Scrape get(int port, const std::string& path, const std::string& accept = "") {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(120, 0);  // a pprof request symbolizes the whole machine
    httplib::Headers headers;
    if (!accept.empty())
        headers.emplace("Accept", accept);
    auto result = client.Get(path.c_str(), headers);
    if (!result)
        return {};
    return {result->status, result->get_header_value("Content-Type"), result->body};
}

// The value of the sample line that starts with `prefix` (name and labels); NaN if none.
double sample_value(const std::string& text, const std::string& prefix) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (line.rfind(prefix + " ", 0) == 0)
            return std::stod(line.substr(prefix.size() + 1));
    return NAN;
}

// Every sample line (not a comment): "name{labels}" -> value.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        auto space = line.rfind(' ');
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

// The exit code and output of `promtool check metrics` on `text`.
bpfscope::test::ProcessResult promtool_check(const TempDir& dir, const std::string& text) {
    std::string path = dir.file("metrics.txt", text);
    return run_process({"sh", "-c", "promtool check metrics < " + path});
}

// One instant query against Prometheus's HTTP API at `time` (unix seconds, 0: now).
json prometheus_query(int port, const std::string& query, double time = 0) {
    httplib::Client client("127.0.0.1", port);
    httplib::Params params{{"query", query}};
    if (time > 0)
        params.emplace("time", std::to_string(time));
    auto result = client.Get("/api/v1/query", params, httplib::Headers{});
    if (!result || result->status != 200)
        return json();
    return json::parse(result->body);
}

// The single value of an instant vector query (NaN when empty).
double query_value(int port, const std::string& query, double time = 0) {
    json answer = prometheus_query(port, query, time);
    if (!answer.is_object() || answer["status"] != "success" || answer["data"]["result"].empty())
        return NAN;
    return std::stod(answer["data"]["result"][0]["value"][1].get<std::string>());
}

// Every metric name Prometheus stored.
std::vector<std::string> metric_names(int port) {
    httplib::Client client("127.0.0.1", port);
    auto result = client.Get("/api/v1/label/__name__/values");
    if (!result || result->status != 200)
        return {};
    return json::parse(result->body)["data"].get<std::vector<std::string>>();
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double json_p99(const std::string& tool_output, const std::string& unit_to_seconds_name) {
    json doc = json::parse(tool_output);
    for (const auto& section : doc["sections"])
        if (section["fields"].contains("p99") && section["fields"]["p99"].is_number())
            return section["fields"]["p99"].get<double>() *
                   (unit_to_seconds_name == "us" ? 1e-6 : 1e-9);
    return NAN;
}

#define REQUIRE_SERVE_PRECONDITIONS()                  \
    BPFSCOPE_REQUIRE_ROOT("serve loads BPF programs"); \
    BPFSCOPE_REQUIRE_PROGRAM("promtool");              \
    BPFSCOPE_REQUIRE_PROGRAM("prometheus")

}  // namespace

// /metrics as Prometheus text passes promtool, OpenMetrics when asked for it,
// /healthz; the per-cgroup cap holds (a cgroup of its own beyond a cap of 1
// folds into cgroup="_other" and counts as a dropped series); SIGTERM stops it
// cleanly.
TEST(Serve, PromtoolCleanOpenMetricsHealthzAndCgroupCap) {
    REQUIRE_SERVE_PRECONDITIONS();
    std::string root = bpfscope::test::cgroup2_mount();
    BPFSCOPE_REQUIRE(!root.empty(), "needs a cgroup2 mount for the per-cgroup histograms");
    TempDir dir;
    std::string cgroup = root + "/bpfscope-serve-test-" + std::to_string(getpid());
    fs::create_directory(cgroup);
    BackgroundProcess serve({bin("bpfscope"), "serve", "--listen", "127.0.0.1:0",
                             "--runqlat-per-cgroup", "--max-cgroups", "1"});
    ASSERT_TRUE(serve.wait_until_ready()) << serve.output_so_far();
    int port = served_port(serve);
    ASSERT_GT(port, 0) << serve.output_so_far();

    // Two ping-pongs: one where the test runs, one in the new cgroup.
    BackgroundProcess outside({bin("pipewait"), "3000", "0"});
    {
        BackgroundProcess inside({bin("pipewait"), "1000000", "0"});
        {
            std::ofstream procs(cgroup + "/cgroup.procs");
            procs << inside.pid() << "\n";
        }
        EXPECT_EQ(outside.wait().exit_code, 0);
    }  // `inside` is killed and reaped here

    Scrape text = get(port, "/metrics");
    ASSERT_EQ(text.status, 200);
    EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
    auto promtool = promtool_check(dir, text.body);
    EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;
    EXPECT_EQ(promtool.out + promtool.err, "") << "promtool lint findings";

    auto values = samples(text.body);
    // 3000 round trips wake the parent and the child 3000 times each at least.
    EXPECT_GE(values["bpfscope_runqlat_seconds_count"], 6000) << text.body;
    EXPECT_EQ(values["bpfscope_runqlat_seconds_bucket{le=\"+Inf\"}"],
              values["bpfscope_runqlat_seconds_count"]);
    EXPECT_GT(values["bpfscope_runqlat_seconds_sum"], 0);
    // The cap: one cgroup admitted, the others in _other, and counted.
    std::set<std::string> cgroups;
    static const std::regex cgroup_label(
        "bpfscope_runqlat_cgroup_seconds_count\\{cgroup=\"([^\"]*)\"\\}");
    for (const auto& [name, value] : values) {
        std::smatch match;
        if (std::regex_match(name, match, cgroup_label))
            cgroups.insert(match[1]);
    }
    EXPECT_EQ(cgroups.size(), 2u) << text.body;
    EXPECT_TRUE(cgroups.count("_other")) << text.body;
    EXPECT_GE(values["bpfscope_series_dropped_total{collector=\"runqlat\"}"], 1) << text.body;
    double per_cgroup_total = 0;
    for (const auto& name : cgroups)
        per_cgroup_total +=
            values["bpfscope_runqlat_cgroup_seconds_count{cgroup=\"" + name + "\"}"];
    EXPECT_EQ(per_cgroup_total, values["bpfscope_runqlat_seconds_count"]);
    EXPECT_GT(values["bpfscope_bpf_runs_total{collector=\"runqlat\"}"], 0) << text.body;
    EXPECT_EQ(values["bpfscope_collector_info{collector=\"runqlat\",attach=\"tp_btf\"}"], 1);

    Scrape open_metrics = get(port, "/metrics", "application/openmetrics-text;version=1.0.0");
    EXPECT_EQ(open_metrics.content_type,
              "application/openmetrics-text; version=1.0.0; charset=utf-8");
    EXPECT_TRUE(open_metrics.body.ends_with("# EOF\n"));
    EXPECT_NE(open_metrics.body.find("# TYPE bpfscope_scrapes counter\n"), std::string::npos);

    Scrape health = get(port, "/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok\n");
    EXPECT_EQ(get(port, "/nothing").status, 404);

    auto stopped = serve.stop(SIGTERM);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_NE(stopped.err.find("stopped"), std::string::npos) << stopped.err;
    rmdir(cgroup.c_str());
}

// A real Prometheus scrapes serve every second while a known workload runs
// beside bpfscope's own funclatency and runqlat on the same window:
// histogram_quantile(0.99, rate(..._bucket[W])) agrees with their p99 within
// one bucket (a factor of 2), up == 1, and no counter ever went down.
TEST(Serve, RealPrometheusAgreesWithBpfscopeP99) {
    REQUIRE_SERVE_PRECONDITIONS();
    constexpr int kWindowSeconds = 20;
    TempDir dir;
    std::string sleeper = bin("sleeper");
    std::string target = sleeper + ":sleep_known_time";
    BackgroundProcess serve(
        {bin("bpfscope"), "serve", "--listen", "127.0.0.1:0", "--funclatency", target});
    ASSERT_TRUE(serve.wait_until_ready()) << serve.output_so_far();
    int port = served_port(serve);
    ASSERT_GT(port, 0);

    int prometheus_port = free_port();
    std::string config = dir.file("prometheus.yml",
                                  "global:\n"
                                  "  scrape_interval: 1s\n"
                                  "  scrape_timeout: 1s\n"
                                  "  evaluation_interval: 1s\n"
                                  "scrape_configs:\n"
                                  "  - job_name: bpfscope\n"
                                  "    static_configs:\n"
                                  "      - targets: ['127.0.0.1:" +
                                      std::to_string(port) + "']\n");
    BackgroundProcess prometheus(
        {"prometheus", "--config.file=" + config,
         "--storage.tsdb.path=" + (dir.path / "tsdb").string(),
         "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)});
    ASSERT_TRUE(prometheus.wait_for_output("Server is ready to receive web requests",
                                           std::chrono::seconds(30)))
        << prometheus.output_so_far();
    auto phase_start = std::chrono::steady_clock::now();
    // The first scrape: up == 1.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!(query_value(prometheus_port, "up{job=\"bpfscope\"}") == 1) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_EQ(query_value(prometheus_port, "up{job=\"bpfscope\"}"), 1)
        << prometheus.output_so_far();

    std::cerr
        << "prometheus up after "
        << std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_start).count()
        << " s\n";
    // The workload and bpfscope's own tools over the same window.
    BackgroundProcess sleeping({sleeper, "1000000", "2000"});
    BackgroundProcess pinging({bin("pipewait"), "100000000", "0"});
    std::string window = std::to_string(kWindowSeconds);
    BackgroundProcess funclatency({bin("bpfscope"), "funclatency", "-j", "-d", window, target});
    BackgroundProcess runqlat({bin("bpfscope"), "runqlat", "-j", "-d", window});
    ASSERT_TRUE(funclatency.wait_until_ready()) << funclatency.output_so_far();
    ASSERT_TRUE(runqlat.wait_until_ready()) << runqlat.output_so_far();
    // Both tools measure [ready, ready + W]. Prometheus's rate over [W] at
    // ready + W + 0.5 s spans the scrapes inside that interval (about W - 1 s).
    double window_end = unix_now() + kWindowSeconds + 0.5;
    auto funclatency_run = funclatency.wait(std::chrono::seconds(kWindowSeconds + 30));
    auto runqlat_run = runqlat.wait(std::chrono::seconds(kWindowSeconds + 30));
    ASSERT_EQ(funclatency_run.exit_code, 0) << funclatency_run.err;
    ASSERT_EQ(runqlat_run.exit_code, 0) << runqlat_run.err;
    // Let Prometheus take the scrape that closes the window.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));

    std::string range = "[" + window + "s]";
    double prom_func = query_value(
        prometheus_port,
        "histogram_quantile(0.99, rate(bpfscope_funclatency_seconds_bucket" + range + "))",
        window_end);
    double own_func = json_p99(funclatency_run.out, "ns");
    double prom_runq = query_value(
        prometheus_port,
        "histogram_quantile(0.99, rate(bpfscope_runqlat_seconds_bucket" + range + "))", window_end);
    double own_runq = json_p99(runqlat_run.out, "us");
    std::cerr << "p99 funclatency: prometheus " << prom_func << " s, bpfscope " << own_func
              << " s; runqlat: prometheus " << prom_runq << " s, bpfscope " << own_runq << " s\n";
    // The workload sleeps 2 ms per call: both see at least that.
    EXPECT_GE(own_func, 0.002) << funclatency_run.out;
    EXPECT_GE(prom_func, 0.002);
    // Within one power-of-two bucket of each other.
    EXPECT_LE(prom_func / own_func, 2.0);
    EXPECT_GE(prom_func / own_func, 0.5);
    EXPECT_LE(prom_runq / own_runq, 2.0);
    EXPECT_GE(prom_runq / own_runq, 0.5);

    // Counters never went down between any two scrapes (resets() counts every
    // decrease), and there were many scrapes.
    std::string all = "[5m]";
    EXPECT_GE(query_value(prometheus_port, "count_over_time(bpfscope_scrapes_total" + all + ")"),
              double(kWindowSeconds));
    // resets() drops the name, so each family is asked on its own.
    size_t checked = 0;
    for (const auto& name : metric_names(prometheus_port)) {
        if (name.rfind("bpfscope_", 0) != 0 ||
            !(name.ends_with("_total") || name.ends_with("_bucket") || name.ends_with("_count")))
            continue;
        checked++;
        EXPECT_EQ(query_value(prometheus_port, "sum(resets(" + name + all + "))"), 0) << name;
    }
    EXPECT_GE(checked, 8u);
    EXPECT_EQ(query_value(prometheus_port, "up{job=\"bpfscope\"}"), 1);
    EXPECT_EQ(serve.stop(SIGTERM).exit_code, 0);
}

// SIGHUP: a bad new config (a syntax error, then a target that cannot be
// reached) is refused with one line and the old collectors keep serving; a
// good one replaces them.
TEST(Serve, SighupReloadKeepsOldConfigOnError) {
    BPFSCOPE_REQUIRE_ROOT("serve loads BPF programs");
    TempDir dir;
    std::string sleeper = bin("sleeper");
    auto write_config = [&](const std::string& text) { return dir.file("serve.yaml", text); };
    std::string path = write_config(
        "runqlat: {enabled: false}\nfunclatency:\n  targets:\n"
        "    - {target: \"" +
        sleeper + ":sleep_known_time\", name: first}\n");
    BackgroundProcess serve(
        {bin("bpfscope"), "serve", "--listen", "127.0.0.1:0", "--config", path});
    ASSERT_TRUE(serve.wait_until_ready()) << serve.output_so_far();
    int port = served_port(serve);
    ASSERT_GT(port, 0);
    auto has_target = [&](const std::string& name) {
        return get(port, "/metrics")
                   .body.find("bpfscope_funclatency_seconds_count{target=\"" + name + "\"}") !=
               std::string::npos;
    };
    ASSERT_TRUE(has_target("first"));
    EXPECT_EQ(get(port, "/metrics").body.find("bpfscope_runqlat_seconds"), std::string::npos);

    write_config("runqlat: {enabled: false}\nfunclatency: {targets: [{target: x, nmae: typo}]}\n");
    serve.signal(SIGHUP);
    ASSERT_TRUE(serve.wait_for_output("reload refused", std::chrono::seconds(20)))
        << serve.output_so_far();
    EXPECT_NE(serve.output_so_far().find("unknown key 'funclatency.targets[].nmae'"),
              std::string::npos)
        << serve.output_so_far();
    EXPECT_TRUE(has_target("first"));
    std::string after_bad = get(port, "/metrics").body;
    EXPECT_EQ(sample_value(after_bad, "bpfscope_config_last_reload_successful"), 0);
    EXPECT_EQ(sample_value(after_bad, "bpfscope_config_reloads_total{result=\"failure\"}"), 1);

    // Valid YAML, but the binary does not exist: refused when it is built.
    write_config("runqlat: {enabled: false}\nfunclatency: {targets: [/nonexistent/bin:f]}\n");
    serve.signal(SIGHUP);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (sample_value(get(port, "/metrics").body,
                        "bpfscope_config_reloads_total{result=\"failure\"}") < 2 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(has_target("first"));

    write_config("funclatency:\n  targets:\n    - {target: \"" + sleeper +
                 ":sleep_known_time\", name: second}\n");
    serve.signal(SIGHUP);
    ASSERT_TRUE(serve.wait_for_output("configuration reloaded", std::chrono::seconds(20)))
        << serve.output_so_far();
    EXPECT_TRUE(has_target("second"));
    EXPECT_FALSE(has_target("first"));
    std::string after_good = get(port, "/metrics").body;
    EXPECT_NE(after_good.find("bpfscope_runqlat_seconds_count"), std::string::npos);
    EXPECT_EQ(sample_value(after_good, "bpfscope_config_last_reload_successful"), 1);
    EXPECT_EQ(sample_value(after_good, "bpfscope_config_reloads_total{result=\"failure\"}"), 2);
    auto stopped = serve.stop(SIGTERM);
    EXPECT_EQ(stopped.exit_code, 0);
    // Each refusal was one line.
    size_t refusals = 0;
    std::istringstream lines(stopped.err);
    for (std::string line; std::getline(lines, line);)
        refusals += line.find("reload refused") != std::string::npos;
    EXPECT_EQ(refusals, 2u) << stopped.err;
}

// A bad config, a bad --listen, a busy port, an unreachable target: one line,
// non-zero exit, at start.
TEST(Serve, BadConfigRefusesToStart) {
    BPFSCOPE_REQUIRE_ROOT("serve loads BPF programs");
    TempDir dir;
    auto expect_refused = [&](const std::vector<std::string>& args, const std::string& fragment) {
        std::vector<std::string> argv{bin("bpfscope"), "serve"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto result = run_process(argv, std::chrono::seconds(30));
        EXPECT_NE(result.exit_code, 0) << fragment;
        EXPECT_NE(result.err.find(fragment), std::string::npos) << result.err;
        EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
        EXPECT_EQ(result.out, "");
    };
    expect_refused({"--config", dir.file("a.yaml", "runqlat: {per_cgroup: sometimes}\n")},
                   "a.yaml:1: 'runqlat.per_cgroup': 'sometimes' is not true or false");
    expect_refused({"--config", dir.file("b.yaml", "listen: 127.0.0.1\n")}, "expected HOST:PORT");
    expect_refused({"--config", (dir.path / "missing.yaml").string()}, "cannot read the file");
    expect_refused({"--listen", "127.0.0.1:http"}, "port 'http'");
    expect_refused({"--funclatency", "/nonexistent/bin:f"}, "/nonexistent/bin");
    // A port already taken.
    BackgroundProcess first({bin("bpfscope"), "serve", "--listen", "127.0.0.1:0", "--no-runqlat"});
    ASSERT_TRUE(first.wait_until_ready()) << first.output_so_far();
    expect_refused({"--no-runqlat", "--listen", "127.0.0.1:" + std::to_string(served_port(first))},
                   "cannot listen on 127.0.0.1:");
}

namespace {

// `go tool pprof` with a private HOME and cache, as the flamegraph consumer tests run it.
bpfscope::test::ProcessResult go_pprof(const TempDir& dir, const std::vector<std::string>& args) {
    std::string home = (dir.path / "go-home").string();
    fs::create_directories(home);
    std::vector<std::string> argv = {"env",
                                     "HOME=" + home,
                                     "GOCACHE=" + home + "/cache",
                                     "GOPATH=" + home + "/path",
                                     "GOPROXY=off",
                                     "GOTOOLCHAIN=local",
                                     "PPROF_TMPDIR=" + home,
                                     "go",
                                     "tool",
                                     "pprof"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, std::chrono::seconds(120));
}

// Seconds of each pid's samples in `go tool pprof -traces` output: values
// printed as 1.5s, 20ms, 300us or 10ns, or sample counts (times `count_seconds`).
std::map<long, double> seconds_by_pid(const std::string& traces, double count_seconds = 0) {
    std::map<long, double> out;
    std::istringstream lines(traces);
    std::string line;
    long pid = -1;
    bool value_next = false;
    static const std::regex pid_line(R"(^\s+pid:\s+(\d+))");
    static const std::regex value_line(R"(^\s+([0-9.]+)(s|ms|us|ns)?\s)");
    while (std::getline(lines, line)) {
        std::smatch match;
        if (line.rfind("-----------+", 0) == 0) {
            pid = -1;
            value_next = false;
        } else if (std::regex_search(line, match, pid_line)) {
            pid = std::stol(match[1]);
        } else if (line.find("tid:") != std::string::npos) {
            value_next = true;
        } else if (value_next && std::regex_search(line, match, value_line)) {
            double scale = !match[2].matched  ? count_seconds
                           : match[2] == "s"  ? 1
                           : match[2] == "ms" ? 1e-3
                           : match[2] == "us" ? 1e-6
                                              : 1e-9;
            out[pid] += std::stod(match[1]) * scale;
            value_next = false;
        }
    }
    return out;
}

}  // namespace

// The pprof endpoints, read by `go tool pprof`: a CPU burner's on-CPU time
// agrees with its own CPU clock (it runs entirely inside the request), and a sleeper's off-CPU time
// is about the request's length; a bad ?seconds= is a 400 with one line.
TEST(Serve, PprofEndpointsReadByGoToolPprof) {
    BPFSCOPE_REQUIRE_ROOT("serve loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM("go");
    TempDir dir;
    BackgroundProcess serve({bin("bpfscope"), "serve", "--listen", "127.0.0.1:0", "--no-runqlat"});
    ASSERT_TRUE(serve.wait_until_ready()) << serve.output_so_far();
    int port = served_port(serve);
    ASSERT_GT(port, 0);
    constexpr double kSeconds = 3;

    // The burner starts 0.8 s into the 3 s request and burns 1.5 s, all inside
    // the sampled window; it prints its own CPU time when it ends.
    auto request =
        std::async(std::launch::async, [&] { return get(port, "/debug/pprof/profile?seconds=3"); });
    BackgroundProcess burner({bin("cpuburn"), "1.5", "75", "800"});
    Scrape cpu = request.get();
    auto burned = burner.wait(std::chrono::seconds(30));
    ASSERT_EQ(cpu.status, 200) << cpu.body;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(burned.out, match, std::regex("cpu_us=(\\d+)"))) << burned.out;
    double burner_own = std::stod(match[1]) * 1e-6;
    std::string cpu_path = dir.file("cpu.pb.gz", cpu.body);
    auto top = go_pprof(dir, {"-top", cpu_path});
    ASSERT_EQ(top.exit_code, 0) << top.err;
    EXPECT_NE(top.out.find("Type: cpu"), std::string::npos) << top.out;
    EXPECT_NE(top.out.find("burn_heavy"), std::string::npos) << top.out;
    auto cpu_traces = go_pprof(dir, {"-traces", cpu_path});
    double burner_cpu = seconds_by_pid(cpu_traces.out, 1.0 / 99)[burner.pid()];
    std::cerr << "cpuburn on-CPU: pprof " << burner_cpu << " s, its own clock " << burner_own
              << " s\n";
    EXPECT_GT(burner_own, 0.1);
    // 99 Hz sampling of a few tenths of a second: a quarter, plus a few samples.
    EXPECT_NEAR(burner_cpu, burner_own, 0.25 * burner_own + 0.03);

    BackgroundProcess sleeping({bin("sleeper"), "100000", "2000"});
    Scrape offcpu = get(port, "/debug/pprof/offcpu?seconds=3");
    ASSERT_EQ(offcpu.status, 200) << offcpu.body;
    std::string offcpu_path = dir.file("offcpu.pb.gz", offcpu.body);
    auto off_top = go_pprof(dir, {"-top", offcpu_path});
    ASSERT_EQ(off_top.exit_code, 0) << off_top.err;
    EXPECT_NE(off_top.out.find("Type: offcpu"), std::string::npos) << off_top.out;
    double sleeper_off =
        seconds_by_pid(go_pprof(dir, {"-traces", offcpu_path}).out)[sleeping.pid()];
    std::cerr << "sleeper off-CPU: pprof " << sleeper_off << " s of a " << kSeconds
              << " s request\n";
    EXPECT_GT(sleeper_off, 0.8 * kSeconds);
    EXPECT_LT(sleeper_off, 1.05 * kSeconds);

    Scrape bad = get(port, "/debug/pprof/profile?seconds=-1");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("seconds=-1: expected a number of seconds in (0, 60]"),
              std::string::npos)
        << bad.body;
    std::string metrics = get(port, "/metrics").body;
    EXPECT_EQ(sample_value(metrics,
                           "bpfscope_pprof_profiles_total{endpoint=\"/debug/pprof/profile\","
                           "result=\"success\"}"),
              1);
    EXPECT_EQ(serve.stop(SIGTERM).exit_code, 0);
}
