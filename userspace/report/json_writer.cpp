#include "report/json_writer.h"

#include <cmath>
#include <nlohmann/json.hpp>

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

nlohmann::json to_json(const Data& data) {
    if (const Value* value = data.as_value())
        return to_json(*value);
    nlohmann::json out;
    if (const Data::List* list = data.as_list()) {
        out = nlohmann::json::array();
        for (const auto& item : *list) out.push_back(to_json(item));
    } else if (const Data::Record* record = data.as_record()) {
        out = nlohmann::json::object();
        for (const auto& [key, item] : *record) out[key] = to_json(item);
    }
    return out;
}

Data from_json(const nlohmann::json& json) {
    switch (json.type()) {
        case nlohmann::json::value_t::boolean:
            return json.get<bool>();
        case nlohmann::json::value_t::number_integer:
            return json.get<int64_t>();
        case nlohmann::json::value_t::number_unsigned:
            return json.get<uint64_t>();
        case nlohmann::json::value_t::number_float:
            return json.get<double>();
        case nlohmann::json::value_t::string:
            return json.get<std::string>();
        case nlohmann::json::value_t::array: {
            Data list = Data::list();
            for (const auto& item : json) list.push_back(from_json(item));
            return list;
        }
        case nlohmann::json::value_t::object: {
            Data record = Data::record();
            for (const auto& [key, item] : json.items()) record[key] = from_json(item);
            return record;
        }
        default:
            return Data();
    }
}

nlohmann::json to_json(const Report& report) {
    if (!report.document.is_null())
        return to_json(report.document);
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

std::string json_text(const Report& report, int indent) {
    // A comm cut mid-character by the kernel's 16 bytes is not valid UTF-8: U+FFFD
    // (as the SVG and pprof writers) instead of an exception from dump().
    return to_json(report).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
}

void write_json(std::ostream& out, const Report& report, int indent) {
    out << json_text(report, indent);
    out.flush();
}

}  // namespace bpfscope::report
