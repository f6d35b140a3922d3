#pragma once
// The neutral report model. Tools build a Report from kernel maps; writers
// (text_writer.h, json_writer.h) render it. A tool never formats output and a
// writer never talks to the kernel.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "report/histogram.h"

namespace bpfscope::report {

using Value = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string>;

struct Field {
    std::string key;  // stable machine name, e.g. "count", "backend"
    Value value;
    std::string unit;  // "" when unitless; "ns", "us", "ms", "%", ...
};

struct Table {
    std::string title;
    std::vector<std::string> columns;
    std::vector<std::vector<Value>> rows;
};

struct Section {
    std::string title;  // what is measured, e.g. a target spec
    std::string kind;   // "target", "summary", "overhead", ... (stable, for JSON consumers)
    std::vector<Field> fields;
    std::optional<Log2Histogram> histogram;
    std::vector<Table> tables;
    std::vector<std::string> notes;  // human remarks, e.g. why a backend was not used

    Section& add(std::string key, Value value, std::string unit = {}) {
        fields.push_back({std::move(key), std::move(value), std::move(unit)});
        return *this;
    }
    const Field* find(const std::string& key) const {
        for (const auto& f : fields)
            if (f.key == key)
                return &f;
        return nullptr;
    }
};

struct Report {
    std::string tool;
    std::optional<std::string> timestamp;  // set with -T or for interval output
    std::vector<Field> header;             // run-wide facts (kernel, duration, ...)
    std::vector<Section> sections;
    std::vector<std::string> warnings;  // data loss and other things the user must know

    Section& add_section(std::string title, std::string kind) {
        sections.push_back(Section{std::move(title), std::move(kind), {}, {}, {}, {}});
        return sections.back();
    }
};

}  // namespace bpfscope::report
