// bpfscope entry point: `bpfscope <tool> [options]`, or `<tool> [options]`
// when invoked through a symlink named after the tool (libbpf-tools' options
// and output for the tools that have a drop-in entry, see core/drop_in_output.h).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "base/error.h"
#include "base/logging.h"
#include "core/tool_registry.h"

namespace {

void print_usage(FILE* out) {
    std::fprintf(
        out, "usage: bpfscope <tool> [options]   (bpfscope <tool> --help for a tool)\n\ntools:\n");
    for (const auto& tool : bpfscope::ToolRegistry::all()) {
        std::fprintf(out, "  %-14s %s\n", tool.name.c_str(), tool.summary.c_str());
    }
}

std::string base_name(const char* path) {
    const char* slash = std::strrchr(path, '/');
    return slash ? slash + 1 : path;
}

}  // namespace

int main(int argc, char** argv) {
    std::string invoked_as = base_name(argv[0]);
    int tool_argc = argc;
    char** tool_argv = argv;
    // Through a symlink named like a libbpf-tools tool: its drop-in entry.
    const bpfscope::ToolInfo* tool = bpfscope::DropInRegistry::find(invoked_as);
    if (!tool)
        tool = bpfscope::ToolRegistry::find(invoked_as);
    if (!tool) {
        if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
            print_usage(argc < 2 ? stderr : stdout);
            return argc < 2 ? 2 : 0;
        }
        tool = bpfscope::ToolRegistry::find(argv[1]);
        if (!tool) {
            bpfscope::setup_logging({}, bpfscope::Verbosity::kNormal);
            spdlog::error("unknown tool '{}'; run 'bpfscope --help' for the list", argv[1]);
            return 2;
        }
        tool_argc = argc - 1;
        tool_argv = argv + 1;
    }
    bpfscope::setup_logging(tool->name, bpfscope::Verbosity::kNormal);
    try {
        return tool->main(tool_argc, tool_argv);
    } catch (const bpfscope::UserError& error) {
        // The one line a failure gets, whatever -q says.
        spdlog::set_level(spdlog::level::err);
        spdlog::error("{}", error.what());
        return error.exit_code();
    } catch (const std::exception& error) {
        spdlog::set_level(spdlog::level::err);
        spdlog::error("internal error: {}", error.what());
        return 1;
    }
}
