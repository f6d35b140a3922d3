#include "report/json_writer.h"

#include <cmath>

namespace bpfscope::report {

nlohmann::json to_json(const Value& value) {
    struct Visitor {
        nlohmann::json operator()(std::monostate) const { return nullptr; }
        nlohmann::json operator()(bool b) const { return b; }
        nlohmann::json operator()(int64_t v) const { return v; }
        nlohmann::json operator()(uint64_t v) const { return v; }
        nlohmann::json operator()(double v) const {
            if (!std::isfinite(v))
                return nullptr;
            return v;
        }
        nlohmann::json operator()(const std::string& s) const { return s; }
    };
    return std::visit(Visitor{}, value);
}

nlohmann::json to_json(const Log2Histogram& histogram) {
    nlohmann::json buckets = nlohmann::json::array();
    if (auto range = occupied_slots(histogram.slots)) {
        for (unsigned slot = range->first; slot <= range->last; slot++) {
            buckets.push_back({{"low", log2_slot_low(slot)},
                               {"high", log2_slot_high(slot)},
                               {"count", histogram.slots[slot]}});
        }
    }
    nlohmann::json out = {{"unit", histogram.unit},
                          {"count", histogram.count},
                          {"sum", histogram.sum},
                          {"mean", histogram.mean()},
                          {"buckets", buckets}};
    if (histogram.count > 0) {
        out["min"] = histogram.min;
        out["max"] = histogram.max;
        out["p50"] = histogram.percentile(0.50);
        out["p90"] = histogram.percentile(0.90);
        out["p99"] = histogram.percentile(0.99);
    } else {
        for (const char* key : {"min", "max", "p50", "p90", "p99"}) out[key] = nullptr;
    }
    return out;
}

nlohmann::json to_json(const Report& report) {
    nlohmann::json header = nlohmann::json::object();
    for (const auto& field : report.header) header[field.key] = to_json(field.value);
    nlohmann::json sections = nlohmann::json::array();
    for (const auto& section : report.sections) {
        nlohmann::json fields = nlohmann::json::object();
        nlohmann::json units = nlohmann::json::object();
        for (const auto& field : section.fields) {
            fields[field.key] = to_json(field.value);
            if (!field.unit.empty())
                units[field.key] = field.unit;
        }
        nlohmann::json tables = nlohmann::json::array();
        for (const auto& table : section.tables) {
            nlohmann::json rows = nlohmann::json::array();
            for (const auto& row : table.rows) {
                nlohmann::json cells = nlohmann::json::array();
                for (const auto& cell : row) cells.push_back(to_json(cell));
                rows.push_back(cells);
            }
            tables.push_back({{"title", table.title}, {"columns", table.columns}, {"rows", rows}});
        }
        sections.push_back({{"title", section.title},
                            {"kind", section.kind},
                            {"fields", fields},
                            {"units", units},
                            {"histogram", section.histogram ? to_json(*section.histogram)
                                                            : nlohmann::json(nullptr)},
                            {"tables", tables},
                            {"notes", section.notes}});
    }
    return {{"schema_version", kReportSchemaVersion},
            {"tool", report.tool},
            {"timestamp", report.timestamp ? nlohmann::json(*report.timestamp) : nullptr},
            {"header", header},
            {"sections", sections},
            {"warnings", report.warnings}};
}

void write_json(std::ostream& out, const Report& report) {
    out << to_json(report).dump() << "\n";
    out.flush();
}

}  // namespace bpfscope::report
