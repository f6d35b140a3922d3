#pragma once
// What every libbpf-tools drop-in entry (tools/compat/<tool>_compat.cpp)
// shares: running the native driver with translated options, and printing a
// report's loss warnings the way libbpf-tools prints its own (stderr,
// "WARNING: ..."), so that nothing is lost silently in this mode either.
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "core/drop_in_output.h"
#include "core/tool_registry.h"
#include "report/bcc_text_writer.h"
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

// The native command line a drop-in entry builds while parsing theirs.
struct NativeArgs {
    std::vector<std::string> words;
    // A handler that adds `option` (a flag).
    std::function<void()> flag(const char* option) {
        return [this, option] { words.push_back(option); };
    }
    // A handler that adds `option VALUE`.
    std::function<void(const std::string&)> value(const char* option) {
        return [this, option](const std::string& text) {
            words.insert(words.end(), {option, text});
        };
    }
};

// The stack tools' text (offcputime, profile): multi-line stacks, or folded
// lines with -f; `banner` (if any) once attached, unless folded.
class StackTextOutput : public DropInOutput {
  public:
    StackTextOutput(bool folded, report::BccStackOptions style, std::string banner = {})
        : folded_(folded), style_(style), banner_(std::move(banner)) {}
    void started() override {
        if (!folded_ && !banner_.empty())
            std::cout << banner_ << std::flush;
    }
    void write(const report::Report& report, const report::StackProfile* stacks, bool) override {
        if (stacks)
            std::cout << (folded_ ? report::bcc_folded_text(*stacks, style_)
                                  : report::bcc_stacks_text(*stacks, style_))
                      << std::flush;
        write_warnings(report);
    }

  private:
    bool folded_;
    report::BccStackOptions style_;
    std::string banner_;
};

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
