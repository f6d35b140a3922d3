#pragma once
// What every libbpf-tools drop-in entry (tools/compat/<tool>_compat.cpp)
// shares: running the native driver with translated options, and printing a
// report's loss warnings the way libbpf-tools prints its own (stderr,
// "WARNING: ..."), so that nothing is lost silently in this mode either.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "core/drop_in_output.h"
#include "core/tool_registry.h"
#include "report/model.h"

namespace bpfscope::compat {

// Runs the native driver of `tool` with `args` (without argv[0]).
inline int run_native_tool(const std::string& tool, const std::vector<std::string>& args) {
    const ToolInfo* info = ToolRegistry::find(tool);
    if (!info)
        throw UserError("internal: no native tool '" + tool + "' for its drop-in entry");
    std::vector<std::string> words{tool};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    return info->main(int(words.size()), argv.data());
}

inline void write_warnings(const report::Report& report) {
    for (const auto& warning : report.warnings) std::cerr << "WARNING: " << warning << "\n";
    std::cerr.flush();
}

// A field of a section as an unsigned number (0 when absent).
inline uint64_t field_number(const report::Section& section, const std::string& key) {
    const report::Field* field = section.find(key);
    if (!field)
        return 0;
    if (const auto* u = std::get_if<uint64_t>(&field->value))
        return *u;
    if (const auto* i = std::get_if<int64_t>(&field->value))
        return uint64_t(*i);
    return 0;
}

inline std::string field_text(const report::Section& section, const std::string& key) {
    const report::Field* field = section.find(key);
    const auto* text = field ? std::get_if<std::string>(&field->value) : nullptr;
    return text ? *text : std::string();
}

}  // namespace bpfscope::compat
