#include "serve/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace bpfscope::serve {

MetricFamily& MetricSet::family(const std::string& name, const std::string& help, MetricType type) {
    for (auto& existing : families_)
        if (existing.name == name) {
            if (existing.type != type)
                throw std::logic_error("metric " + name + " registered with two types");
            return existing;
        }
    return families_.emplace_back(MetricFamily{name, help, type, {}});
}

void MetricSet::add(const std::string& name, const std::string& help, MetricType type, double value,
                    Labels labels) {
    auto& samples = family(name, help, type).samples;
    samples.push_back(MetricSample{std::move(labels), value, {}});
}

void MetricSet::add_histogram(const std::string& name, const std::string& help,
                              HistogramValue value, Labels labels) {
    auto& samples = family(name, help, MetricType::kHistogram).samples;
    samples.push_back(MetricSample{std::move(labels), 0, std::move(value)});
}

size_t MetricSet::series_count() const {
    size_t count = 0;
    for (const auto& family : families_)
        for (const auto& sample : family.samples)
            count +=
                family.type == MetricType::kHistogram ? sample.histogram.buckets.size() + 3 : 1;
    return count;
}

HistogramValue seconds_histogram(const report::Log2Histogram& histogram, double sum_seconds) {
    constexpr unsigned kBuckets = kLastBucketLog2Ns - kFirstBucketLog2Ns + 1;
    std::vector<uint64_t> per_bucket(kBuckets + 1, 0);  // the last one: above every bound
    // The bucket of a value range whose exclusive upper bound is `high_ns`:
    // the first le = 2^k ns with 2^k >= high_ns - 1 (values are whole ns).
    auto bucket_of = [&](double high_ns) {
        for (unsigned b = 0; b < kBuckets; ++b)
            if (high_ns - 1 <= std::ldexp(1.0, int(kFirstBucketLog2Ns + b)))
                return b;
        return kBuckets;
    };
    uint64_t total = 0;
    if (!histogram.fine_ns.empty()) {
        for (unsigned slot = 0; slot < histogram.fine_ns.size(); ++slot) {
            if (!histogram.fine_ns[slot])
                continue;
            per_bucket[bucket_of(double(report::fine_slot_high(slot)))] += histogram.fine_ns[slot];
            total += histogram.fine_ns[slot];
        }
    } else {
        for (unsigned slot = 0; slot < histogram.slots.size(); ++slot) {
            if (!histogram.slots[slot])
                continue;
            double high = double(report::log2_slot_high(slot)) * histogram.ns_per_unit;
            per_bucket[bucket_of(high)] += histogram.slots[slot];
            total += histogram.slots[slot];
        }
    }
    HistogramValue out;
    uint64_t cumulative = 0;
    for (unsigned b = 0; b < kBuckets; ++b) {
        cumulative += per_bucket[b];
        out.buckets.emplace_back(std::ldexp(1.0, int(kFirstBucketLog2Ns + b)) * 1e-9, cumulative);
    }
    out.count = total;
    out.sum = sum_seconds >= 0 ? sum_seconds : double(histogram.sum) * histogram.ns_per_unit * 1e-9;
    return out;
}

void merge_into(HistogramValue& total, const HistogramValue& part) {
    if (total.buckets.empty()) {
        total = part;
        return;
    }
    for (size_t b = 0; b < total.buckets.size() && b < part.buckets.size(); ++b)
        total.buckets[b].second += part.buckets[b].second;
    total.count += part.count;
    total.sum += part.sum;
}

ExpositionFormat negotiate_format(std::string_view accept_header) {
    return accept_header.find("application/openmetrics-text") != std::string_view::npos
               ? ExpositionFormat::kOpenMetrics
               : ExpositionFormat::kPrometheusText;
}

const char* content_type(ExpositionFormat format) {
    return format == ExpositionFormat::kOpenMetrics
               ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8";
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

namespace {

std::string escape_help(std::string_view help) {
    std::string out;
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

void append_number(std::string& out, double value) {
    if (std::isnan(value))
        out += "NaN";
    else if (std::isinf(value))
        out += value > 0 ? "+Inf" : "-Inf";
    else if (value == std::floor(value) && std::fabs(value) < 9.0e15)
        fmt::format_to(std::back_inserter(out), "{}", int64_t(value));
    else
        fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_labels(std::string& out, const Labels& labels, const char* extra_name = nullptr,
                   const std::string& extra_value = {}) {
    if (labels.empty() && !extra_name)
        return;
    out += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first)
            out += ',';
        first = false;
        out += name;
        out += "=\"";
        out += escape_label_value(value);
        out += '"';
    }
    if (extra_name) {
        if (!first)
            out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
}

void append_line(std::string& out, const std::string& name, const char* suffix,
                 const Labels& labels, double value, const char* extra_name = nullptr,
                 const std::string& extra_value = {}) {
    out += name;
    out += suffix;
    append_labels(out, labels, extra_name, extra_value);
    out += ' ';
    append_number(out, value);
    out += '\n';
}

const char* type_name(MetricType type) {
    switch (type) {
        case MetricType::kCounter:
            return "counter";
        case MetricType::kGauge:
            return "gauge";
        case MetricType::kHistogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::string render(const MetricSet& metrics, ExpositionFormat format) {
    std::string out;
    out.reserve(64 * metrics.series_count() + 256);
    const bool open_metrics = format == ExpositionFormat::kOpenMetrics;
    std::string le;
    for (const auto& family : metrics.families()) {
        // Prometheus text names a counter family by its sample name (with
        // _total); OpenMetrics names it without the suffix.
        std::string family_name = family.name;
        if (family.type == MetricType::kCounter && !open_metrics)
            family_name += "_total";
        out += "# HELP " + family_name + " " + escape_help(family.help) + "\n";
        out += "# TYPE " + family_name + " " + type_name(family.type) + "\n";
        for (const auto& sample : family.samples) {
            switch (family.type) {
                case MetricType::kCounter:
                    append_line(out, family.name, "_total", sample.labels, sample.value);
                    break;
                case MetricType::kGauge:
                    append_line(out, family.name, "", sample.labels, sample.value);
                    break;
                case MetricType::kHistogram: {
                    const auto& h = sample.histogram;
                    for (const auto& [bound, count] : h.buckets) {
                        le.clear();
                        append_number(le, bound);
                        append_line(out, family.name, "_bucket", sample.labels, double(count), "le",
                                    le);
                    }
                    append_line(out, family.name, "_bucket", sample.labels, double(h.count), "le",
                                "+Inf");
                    append_line(out, family.name, "_sum", sample.labels, h.sum);
                    append_line(out, family.name, "_count", sample.labels, double(h.count));
                    break;
                }
            }
        }
    }
    if (open_metrics)
        out += "# EOF\n";
    return out;
}

}  // namespace bpfscope::serve
