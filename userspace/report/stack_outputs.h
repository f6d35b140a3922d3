#pragma once
// The stack outputs every stack tool (profile, offcputime) offers: --folded,
// --svg and --pprof. A tool builds a StackProfile, calls
// add_stack_output_options() while setting up its CLI and write_stack_outputs()
// once the profile is complete.
#include <ostream>
#include <string>
#include <string_view>

#include "report/model.h"
#include "report/stack_profile.h"

namespace CLI {
class App;  // CLI11 is heavy: only the .cpp and the drivers include it
}

namespace bpfscope::report {

struct StackOutputOptions {
    std::string folded_path;  // --folded FILE: "comm;root;...;leaf value" lines
    std::string svg_path;     // --svg FILE: interactive flame graph
    std::string pprof_path;   // --pprof FILE: gzip-compressed profile.proto
    std::string title;        // SVG title; "" = "Flame Graph"
    std::string subtitle;     // SVG subtitle, e.g. the command line or duration
    std::string count_name;   // SVG tooltip unit; "" = derived from the profile ("samples", "us")
    std::string colors = "hot";    // SVG palette (hot, mem, io, wakeup, ...)
    bool annotate_frames = false;  // --annotate: kernel frames "_[k]", inlined "_[i]" (folded, SVG)

    bool any() const { return !folded_path.empty() || !svg_path.empty() || !pprof_path.empty(); }
};

// Adds --folded FILE, --svg FILE, --pprof FILE, --title, --annotate.
void add_stack_output_options(CLI::App& app, StackOutputOptions& options);

// Writes every output that was asked for. Each file is written to a temporary
// name and renamed, so a failure leaves no half-written file. Throws UserError.
void write_stack_outputs(const StackProfile& profile, const StackOutputOptions& options);

// Flame graph count name for a profile's unit: "samples", "us", "ns", ...
std::string default_count_name(const StackProfile& profile);

// Writes a whole output file or nothing: the content goes to a temporary file
// in the same directory, renamed over `path` once complete. "-" is stdout.
// Throws UserError ("cannot write PATH: reason").
void write_file_atomically(const std::string& path, std::string_view content);

// A stack tool's whole result: JSON (-j: the Report plus the stacks), folded
// lines on `out` (-f; the Report's text then goes to `err`), or the bcc-style
// stacks followed by the Report's text; then the --folded/--svg/--pprof files.
struct StackResultOptions {
    bool json = false;
    bool folded_stdout = false;
    std::string value_label;  // "us", "samples": the text output's unit
    StackOutputOptions files;
};
void write_stack_result(const StackProfile& profile, const Report& report,
                        const StackResultOptions& options, std::ostream& out, std::ostream& err);
// The same on stdout and stderr.
void write_stack_result(const StackProfile& profile, const Report& report,
                        const StackResultOptions& options);

}  // namespace bpfscope::report
