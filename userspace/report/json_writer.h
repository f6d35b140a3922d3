#pragma once
// JSON rendering of a Report, one stable schema (documented in the README):
// {"schema_version":1,"tool":..,"timestamp":..,"header":{..},
//  "sections":[{"title","kind","fields":{key:value},"units":{key:unit},
//               "histogram":{..}|null,"tables":[..],"notes":[..]}],"warnings":[..]}
#include <nlohmann/json_fwd.hpp>
#include <ostream>

#include "report/model.h"

namespace bpfscope::report {

constexpr int kReportSchemaVersion = 1;

nlohmann::json to_json(const Value& value);
nlohmann::json to_json(const Log2Histogram& histogram);
nlohmann::json to_json(const Data& data);
Data from_json(const nlohmann::json& json);  // numbers keep their kind (signed, unsigned, double)
// The generic schema above, or the report's own document when it has one.
nlohmann::json to_json(const Report& report);
// One report per line (JSON Lines), so interval output stays parseable; with
// indent >= 0, indented by that many spaces (a single document, e.g. memcg -j).
void write_json(std::ostream& out, const Report& report, int indent = -1);
std::string json_text(const Report& report, int indent = -1);  // as write_json writes it

}  // namespace bpfscope::report
