#pragma once
// The metric model of `bpfscope serve` and its exposition: Prometheus text
// format 0.0.4 and OpenMetrics 1.0 text. Families are built fresh at every
// scrape from the collectors' cumulative BPF figures, so counters stay
// monotonic as long as the figures behind them are.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/histogram.h"

namespace bpfscope::serve {

enum class MetricType { kCounter, kGauge, kHistogram };
enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

using Labels = std::vector<std::pair<std::string, std::string>>;

struct HistogramValue {
    std::vector<std::pair<double, uint64_t>>
        buckets;         // (le in seconds, cumulative count), ascending
    uint64_t count = 0;  // also the +Inf bucket
    double sum = 0;      // seconds
};

struct MetricSample {
    Labels labels;
    double value = 0;          // counter, gauge
    HistogramValue histogram;  // histogram
};

struct MetricFamily {
    std::string name;  // counters without the "_total" suffix (the renderer adds it)
    std::string help;
    MetricType type = MetricType::kGauge;
    std::vector<MetricSample> samples;
};

class MetricSet {
  public:
    // The family of this name, created on first use (name, help and type
    // must be the same at every call).
    MetricFamily& family(const std::string& name, const std::string& help, MetricType type);
    void add(const std::string& name, const std::string& help, MetricType type, double value,
             Labels labels = {});
    void add_histogram(const std::string& name, const std::string& help, HistogramValue value,
                       Labels labels = {});
    const std::vector<MetricFamily>& families() const { return families_; }
    size_t series_count() const;  // samples; a histogram counts as its buckets + 2

  private:
    std::vector<MetricFamily> families_;
};

// Bucket upper bounds of every histogram we export: powers of two in ns, from
// 512 ns (2^9) to about 17 s (2^34), and +Inf. The BPF side's quarter-octave
// ns slots nest exactly inside them, so every bucket count is exact.
inline constexpr unsigned kFirstBucketLog2Ns = 9;
inline constexpr unsigned kLastBucketLog2Ns = 34;

// A latency histogram in seconds. Counts come from the fine ns slots when the
// histogram has them (exact), else from the log2 slots (an upper bound mapped
// to the next power-of-two ns bucket). `sum_seconds` < 0: from histogram.sum.
HistogramValue seconds_histogram(const report::Log2Histogram& histogram, double sum_seconds = -1);
void merge_into(HistogramValue& total, const HistogramValue& part);

// Chosen from the scraper's Accept header: OpenMetrics when it asks for
// application/openmetrics-text, Prometheus text otherwise.
ExpositionFormat negotiate_format(std::string_view accept_header);
const char* content_type(ExpositionFormat format);
std::string render(const MetricSet& metrics, ExpositionFormat format);

// A label value as the text formats escape it (\\, \", \n).
std::string escape_label_value(std::string_view value);

}  // namespace bpfscope::serve
