#pragma once
// Diagnostics go through spdlog, on stderr, never on stdout (stdout carries
// reports). Levels: -q shows errors only, default shows warnings and info
// (e.g. "tracefs mounted", "Tracing... Hit Ctrl-C to end."), -v adds debug
// lines and libbpf's own debug output.
//
// A user-facing failure is not logged here: it is thrown as UserError and
// main() prints it once as one line.
#include <spdlog/spdlog.h>

#include <string>

namespace bpfscope {

enum class Verbosity { kQuiet, kNormal, kVerbose };

// Sets up the stderr logger ("bpfscope <tool>: message") and routes libbpf's
// print callback into it: libbpf warnings and debug lines are debug-level,
// because every failure we care about is reported by us, with its reason.
// Called by main() before the tool runs and again by ToolOptions::parse
// (base/options.h) once it knows -q/-v; safe to call repeatedly.
void setup_logging(const std::string& tool_name, Verbosity verbosity);

Verbosity current_verbosity();

}  // namespace bpfscope
