// bpfscope flamegraph: folded stacks (files or stdin) -> interactive SVG flame
// graph, icicle graph, flame chart or differential flame graph; or -> pprof.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/tool_registry.h"
#include "report/flamegraph.h"
#include "report/folded.h"
#include "report/pprof.h"
#include "report/stack_outputs.h"

namespace {

using namespace bpfscope;
using namespace bpfscope::report;

std::string read_raw_input(const std::string& path);

// A file or stdin ("-"), gunzipped when it starts with the gzip magic (out.folded.gz).
std::string read_input(const std::string& path) {
    std::string content = read_raw_input(path);
    if (content.size() >= 2 && static_cast<unsigned char>(content[0]) == 0x1f &&
        static_cast<unsigned char>(content[1]) == 0x8b)
        return gzip_decompress(content, path == "-" ? "stdin" : path);
    return content;
}

std::string read_raw_input(const std::string& path) {
    if (path == "-") {
        std::ostringstream buffer;
        buffer << std::cin.rdbuf();
        return buffer.str();
    }
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw UserError(errno_message("cannot read " + path, errno));
    file.seekg(0, std::ios::end);
    std::string content(static_cast<size_t>(file.tellg()), '\0');
    file.seekg(0);
    file.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (!file)
        throw UserError("cannot read " + path + ": read failed");
    return content;
}

int flamegraph_main(int argc, char** argv) {
    ToolOptions cli(
        "flamegraph",
        "Render folded stacks (\"frame;frame;frame COUNT\" lines, from FILEs or stdin, plain "
        "or gzip) "
        "as an interactive SVG flame graph, or convert them to pprof.");
    auto& app = cli.app();
    std::vector<std::string> inputs;
    std::string output = "-";
    std::string pprof_path;
    std::string min_width = "0.1";
    bool diff = false;
    FlameGraphOptions options;
    app.add_option("FILE", inputs, "Folded stack files, plain or gzip ('-' or none: stdin)");
    cli.output_file("-o,--output", output, "Write the SVG to FILE instead of stdout");
    cli.output_file("--to-pprof", pprof_path,
                    "Write a gzip-compressed pprof profile to FILE (no SVG unless -o is given)");
    app.add_flag("--diff", diff,
                 "Differential graph of two files, BEFORE AFTER: red = more in AFTER, blue = less");
    app.add_flag("--normalize", options.normalize,
                 "Differential: scale BEFORE so both profiles have the same total");
    app.add_flag("--negate", options.negate, "Differential: swap red and blue");
    app.add_flag("--inclusive-delta", options.inclusive_delta,
                 "Differential: colour a frame by the change of everything under it, not by "
                 "the change of the stacks ending in it (flamegraph.pl's self delta)");
    app.add_option("--title", options.title, "Title (default Flame Graph / Icicle Graph)");
    app.add_option("--subtitle", options.subtitle, "Second title line");
    app.add_option("--width", options.width, "Image width in px")
        ->capture_default_str()
        ->check(CLI::Range(100, 100000));
    app.add_option("--height", options.frame_height, "Frame height in px")
        ->capture_default_str()
        ->check(CLI::Range(4, 200));
    app.add_option("--fontsize", options.font_size, "Font size in px")->capture_default_str();
    app.add_option("--fonttype", options.font_type, "Font family")->capture_default_str();
    app.add_option("--minwidth", min_width,
                   "Omit frames narrower than this: px, or N% of the total")
        ->capture_default_str();
    std::string palettes;
    for (const auto& name : flame_palettes()) palettes += (palettes.empty() ? "" : ", ") + name;
    app.add_option("--colors,--color", options.colors, "Palette: " + palettes)
        ->capture_default_str();
    app.add_flag("--hash", options.hash, "Colour by a hash of the name (stable across graphs)");
    app.add_option("--countname", options.count_name, "What the counts are (tooltip text)")
        ->capture_default_str();
    app.add_option("--nametype", options.name_type, "What the frames are (details line)")
        ->capture_default_str();
    app.add_flag("--reverse", options.reverse, "Reverse the stacks (leaf at the bottom)");
    app.add_flag("--inverted", options.inverted, "Icicle graph: root at the top");
    app.add_flag("--flamechart", options.flamechart,
                 "Flame chart: keep the input order (x = time) instead of sorting by name");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    parse_min_width(min_width, options);
    FlameColorer check_palette(options.colors, options.hash);  // unknown palette: fail early
    if (inputs.empty())
        inputs.push_back("-");
    if (diff && inputs.size() != 2) {
        throw UserError("--diff needs exactly two files, BEFORE and AFTER (got " +
                        std::to_string(inputs.size()) + ")");
    }
    if (output == "-" && pprof_path.empty() && isatty(STDOUT_FILENO)) {
        throw UserError("not writing an SVG to a terminal; use -o FILE or redirect stdout");
    }

    FoldedStacks stacks;
    for (size_t i = 0; i < inputs.size(); i++) {
        FoldedColumn column = !diff    ? FoldedColumn::kOnly
                              : i == 0 ? FoldedColumn::kBefore
                                       : FoldedColumn::kAfter;
        std::string text = read_input(inputs[i]);
        parse_folded(text, inputs[i] == "-" ? "stdin" : inputs[i], column, stacks);
    }
    if (diff)
        stacks.differential = true;
    if (stacks.bad_lines > 0) {
        spdlog::warn("ignored {} malformed line{} of {} (first: {})", stacks.bad_lines,
                     stacks.bad_lines == 1 ? "" : "s", stacks.lines, stacks.first_bad_line);
    }
    if (stacks.stacks.empty()) {
        throw UserError(
            fmt::format("no stacks in the input ({} line{}, {} malformed); expected lines like "
                        "'main;foo;bar 42'",
                        stacks.lines, stacks.lines == 1 ? "" : "s", stacks.bad_lines));
    }

    // The SVG and pprof outputs refuse the same input: nothing to show.
    bool all_zero = std::all_of(stacks.stacks.begin(), stacks.stacks.end(), [](const auto& stack) {
        return stack.count == 0 && stack.count2 == 0;
    });
    if (all_zero) {
        throw UserError(
            fmt::format("all counts are zero ({} stack{}): no flame graph or profile "
                        "to write",
                        stacks.stacks.size(), stacks.stacks.size() == 1 ? "" : "s"));
    }
    if (!pprof_path.empty()) {
        if (stacks.differential) {
            throw UserError("--to-pprof takes one profile, not a differential (two counts)");
        }
        PprofNotes notes;
        std::string encoded = encode_pprof_folded(stacks, options.count_name, notes);
        if (std::string warning = pprof_notes_warning(notes); !warning.empty())
            spdlog::warn("{}", warning);
        write_file_atomically(pprof_path, encoded);
        if (output == "-")
            return 0;
    }
    FlameLayout layout = layout_flame_graph(stacks, options);
    if (layout.total <= 0) {
        throw UserError(
            "nothing to draw: every stack has a zero count in the graph drawn (the "
            "AFTER profile of --diff is empty)");
    }
    write_file_atomically(output, render_flame_graph_svg(stacks, layout, options));
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("flamegraph", "folded stacks -> interactive SVG flame graph or pprof",
                       flamegraph_main);
