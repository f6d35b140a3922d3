#include "report/stack_writers.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "report/json_writer.h"

namespace bpfscope::report {

namespace {

const char* kind_name(StackFrame::Kind kind) {
    switch (kind) {
        case StackFrame::Kind::kUser:
            return "user";
        case StackFrame::Kind::kKernel:
            return "kernel";
        case StackFrame::Kind::kSeparator:
            return "separator";
    }
    return "user";
}

}  // namespace

std::string render_stacks_text(const StackProfile& profile, const std::string& value_label) {
    std::vector<const StackSample*> order;
    for (const auto& sample : profile.samples) order.push_back(&sample);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto* a, const auto* b) { return a->value < b->value; });
    std::string out;
    for (const auto* sample : order) {
        for (auto it = sample->frames.rbegin(); it != sample->frames.rend(); ++it) {
            out += "    ";
            out += it->name;
            if (!it->file.empty())
                out += " (" + it->file + ":" + std::to_string(it->line) + ")";
            if (it->inlined)
                out += " [inlined]";
            out += '\n';
        }
        out += "    -                " + sample->comm + " (" + std::to_string(sample->tid) + ")\n";
        out += fmt::format("        {} {}\n\n", sample->value, value_label);
    }
    return out;
}

nlohmann::json to_json(const StackProfile& profile) {
    nlohmann::json stacks = nlohmann::json::object();
    stacks["sample_type"] = profile.sample_type;
    stacks["unit"] = profile.unit;
    stacks["period"] = profile.period;
    stacks["period_unit"] = profile.period_unit;
    stacks["duration_ns"] = profile.duration_ns;
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& sample : profile.samples) {
        nlohmann::json frames = nlohmann::json::array();
        for (const auto& frame : sample.frames) {
            nlohmann::json f = {{"name", frame.name},
                                {"module", frame.module},
                                {"address", frame.address},
                                {"kind", kind_name(frame.kind)},
                                {"inlined", frame.inlined}};
            if (!frame.file.empty()) {
                f["file"] = frame.file;
                f["line"] = frame.line;
            }
            frames.push_back(std::move(f));
        }
        samples.push_back({{"comm", sample.comm},
                           {"pid", sample.pid},
                           {"tid", sample.tid},
                           {"value", sample.value},
                           {"frames", std::move(frames)}});
    }
    stacks["samples"] = std::move(samples);
    return stacks;
}

std::string stack_profile_json(const StackProfile& profile, const Report& report) {
    nlohmann::json out = to_json(report);
    out["stacks"] = to_json(profile);
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace bpfscope::report
