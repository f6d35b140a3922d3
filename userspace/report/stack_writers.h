#pragma once
// A stack profile on the terminal: bcc-style text (each stack leaf first, one
// frame per line, then comm (tid) and the value; largest stacks last), and the
// profile as JSON next to its Report (-j). The file outputs (--folded, --svg,
// --pprof) are in stack_outputs.h.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "report/model.h"
#include "report/stack_profile.h"

namespace bpfscope::report {

std::string render_stacks_text(const StackProfile& profile, const std::string& value_label);

// {"sample_type", "unit", "period", "period_unit", "duration_ns",
//  "samples": [{"comm", "pid", "tid", "value", "frames": [{"name", "module",
//  "address", "kind", "inlined"[, "file", "line"]}]}]}
nlohmann::json to_json(const StackProfile& profile);

// The Report's JSON (json_writer.h) with the profile under "stacks", one line.
std::string stack_profile_json(const StackProfile& profile, const Report& report);

}  // namespace bpfscope::report
