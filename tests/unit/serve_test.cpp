// bpfscope serve without the kernel: exposition text, bucket mapping, config parsing.
#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "serve/config.h"
#include "serve/metrics.h"

namespace bpfscope::serve {
namespace {

MetricSet small_set() {
    MetricSet set;
    set.add("demo_events", "Events seen", MetricType::kCounter, 7, {{"kind", "a\"b\\c\nd"}});
    set.add("demo_temperature", "A gauge", MetricType::kGauge, 0.25);
    HistogramValue h;
    h.buckets = {{0.5, 1}, {1, 3}};
    h.count = 4;
    h.sum = 2.5;
    set.add_histogram("demo_seconds", "A histogram", h, {{"target", "x"}});
    return set;
}

TEST(ServeExposition, PrometheusTextNamesCountersWithTotal) {
    EXPECT_EQ(render(small_set(), ExpositionFormat::kPrometheusText),
              "# HELP demo_events_total Events seen\n"
              "# TYPE demo_events_total counter\n"
              "demo_events_total{kind=\"a\\\"b\\\\c\\nd\"} 7\n"
              "# HELP demo_temperature A gauge\n"
              "# TYPE demo_temperature gauge\n"
              "demo_temperature 0.25\n"
              "# HELP demo_seconds A histogram\n"
              "# TYPE demo_seconds histogram\n"
              "demo_seconds_bucket{target=\"x\",le=\"0.5\"} 1\n"
              "demo_seconds_bucket{target=\"x\",le=\"1\"} 3\n"
              "demo_seconds_bucket{target=\"x\",le=\"+Inf\"} 4\n"
              "demo_seconds_sum{target=\"x\"} 2.5\n"
              "demo_seconds_count{target=\"x\"} 4\n");
}

TEST(ServeExposition, OpenMetricsNamesCounterFamiliesWithoutTotalAndEnds) {
    std::string text = render(small_set(), ExpositionFormat::kOpenMetrics);
    EXPECT_NE(text.find("# TYPE demo_events counter\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\ndemo_events_total{"), std::string::npos) << text;
    EXPECT_TRUE(text.ends_with("# EOF\n")) << text;
}

TEST(ServeExposition, FormatFollowsAcceptHeader) {
    // What Prometheus 2.42 sends.
    EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                               "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                               "q=0.5,*/*;q=0.1"),
              ExpositionFormat::kOpenMetrics);
    EXPECT_EQ(negotiate_format(""), ExpositionFormat::kPrometheusText);
    EXPECT_EQ(negotiate_format("text/plain"), ExpositionFormat::kPrometheusText);
}

TEST(ServeHistogram, FineSlotsLandInTheirPowerOfTwoBucket) {
    report::Log2Histogram h;
    h.fine_ns.assign(report::kFineSlots, 0);
    h.ns_per_unit = 1000;
    // 1000 ns (<= 1024), 1500 ns (<= 2048), 3 s (<= 2^32 ns), 100 s (+Inf only).
    for (uint64_t ns : {1000ull, 1500ull, 3000000000ull, 100000000000ull})
        h.fine_ns[report::fine_slot(ns)]++;
    h.sum = 103000002;  // in us
    HistogramValue v = seconds_histogram(h);
    ASSERT_EQ(v.buckets.size(), kLastBucketLog2Ns - kFirstBucketLog2Ns + 1);
    EXPECT_DOUBLE_EQ(v.buckets.front().first, 512e-9);
    auto cumulative_at = [&](double le) {
        for (const auto& [bound, count] : v.buckets)
            if (std::fabs(bound - le) < 1e-12)
                return count;
        ADD_FAILURE() << "no bucket " << le;
        return uint64_t(0);
    };
    EXPECT_EQ(cumulative_at(512e-9), 0u);
    EXPECT_EQ(cumulative_at(1024e-9), 1u);
    EXPECT_EQ(cumulative_at(2048e-9), 2u);
    EXPECT_EQ(cumulative_at(std::ldexp(1.0, 31) * 1e-9), 2u);
    EXPECT_EQ(cumulative_at(std::ldexp(1.0, 32) * 1e-9), 3u);
    EXPECT_EQ(v.buckets.back().second, 3u);
    EXPECT_EQ(v.count, 4u);
    EXPECT_NEAR(v.sum, 103.000002, 1e-9);
    for (size_t i = 1; i < v.buckets.size(); i++)
        EXPECT_GE(v.buckets[i].second, v.buckets[i - 1].second);
}

TEST(ServeConfig, ParsesEveryKey) {
    ServeConfig c = parse_config(R"(
listen: 0.0.0.0:9100
bpf_stats: false
runqlat: {enabled: true, per_cgroup: true, max_cgroups: 5}
funclatency:
  max_targets: 3
  targets:
    - syscalls:sys_enter_read..syscalls:sys_exit_read
    - {target: "/bin/x:f", name: fx, pid: 42}
pprof: {max_seconds: 30}
)",
                                 "test.yaml");
    EXPECT_EQ(c.listen, "0.0.0.0:9100");
    EXPECT_FALSE(c.bpf_stats);
    EXPECT_TRUE(c.runqlat_per_cgroup);
    EXPECT_EQ(c.runqlat_max_cgroups, 5u);
    ASSERT_EQ(c.funclatency.size(), 2u);
    EXPECT_EQ(c.funclatency[0].name, "syscalls:sys_enter_read..syscalls:sys_exit_read");
    EXPECT_EQ(c.funclatency[1].name, "fx");
    EXPECT_EQ(c.funclatency[1].pid, 42u);
    EXPECT_EQ(c.pprof_max_seconds, 30u);
    EXPECT_TRUE(parse_config("", "empty.yaml").runqlat);
}

void expect_refused(const std::string& yaml, const std::string& fragment) {
    try {
        parse_config(yaml, "bad.yaml");
        ADD_FAILURE() << "accepted: " << yaml;
    } catch (const UserError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(fragment), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
        EXPECT_EQ(message.rfind("bad.yaml:", 0), 0u) << message;
    }
}

TEST(ServeConfig, RefusesMistakesWithOneLine) {
    expect_refused("runqlat: {enable: true}", "unknown key 'runqlat.enable'");
    expect_refused("listen: [1, 2]", "'listen' must be HOST:PORT");
    expect_refused("listen: localhost", "expected HOST:PORT");
    expect_refused("listen: 127.0.0.1:99999", "port '99999'");
    expect_refused("runqlat: {max_cgroups: 0}", "between 1 and 10000");
    expect_refused("runqlat: {per_cgroup: maybe}", "not true or false");
    expect_refused("funclatency: {targets: [a:f, a:f]}", "two funclatency targets");
    expect_refused("funclatency: {max_targets: 1, targets: [a:f, b:f]}", "exceed");
    expect_refused("funclatency: {targets: [{name: x}]}", "needs 'target:'");
    expect_refused("runqlat: [unterminated", "not valid YAML");
    expect_refused("collectors: 1", "unknown key 'collectors'");
}

TEST(ServeConfig, ListenAddress) {
    EXPECT_EQ(parse_listen_address("127.0.0.1:0").port, 0);
    EXPECT_EQ(parse_listen_address("[::1]:9435").host, "::1");
    EXPECT_THROW(parse_listen_address(":80"), UserError);
    EXPECT_THROW(parse_listen_address("host:"), UserError);
}

}  // namespace
}  // namespace bpfscope::serve
