#pragma once
// JSON rendering of a Report, one stable schema (documented in the README):
// {"schema_version":1,"tool":..,"timestamp":..,"header":{..},
//  "sections":[{"title","kind","fields":{key:value},"units":{key:unit},
//               "histogram":{..}|null,"tables":[..],"notes":[..]}],"warnings":[..]}
#include <nlohmann/json.hpp>
#include <ostream>

#include "report/model.h"

namespace bpfscope::report {

constexpr int kReportSchemaVersion = 1;

nlohmann::json to_json(const Value& value);
nlohmann::json to_json(const Log2Histogram& histogram);
nlohmann::json to_json(const Report& report);
// One report per line (JSON Lines), so interval output stays parseable.
void write_json(std::ostream& out, const Report& report);

}  // namespace bpfscope::report
