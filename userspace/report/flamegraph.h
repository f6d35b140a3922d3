#pragma once
// Flame graphs from folded stacks: merge stacks into frames (layout), colour
// them, and render one self-contained interactive SVG (embedded script and
// style, nothing fetched from the network).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/folded.h"

namespace bpfscope::report {

struct FlameGraphOptions {
    std::string title;     // "" = "Flame Graph" / "Icicle Graph" / "Flame Chart"
    std::string subtitle;  // "" = none
    int width = 1200;      // image width, px
    int frame_height = 16;
    double font_size = 12;
    double font_width = 0.59;  // average glyph width / font size, for label truncation
    std::string font_type = "Verdana";
    double min_width = 0.1;          // frames narrower than this are not drawn
    bool min_width_percent = false;  // min_width is % of the total, not px
    std::string colors = "hot";
    bool hash = false;  // colour from a hash of the name (stable), not a random walk
    std::string count_name = "samples";
    std::string name_type = "Function:";
    bool reverse = false;     // stacks leaf first (a "callers" graph)
    bool inverted = false;    // icicle: root at the top
    bool flamechart = false;  // keep input order (x = time), merge only neighbours
    bool negate = false;      // differential: swap red and blue
    bool normalize = false;   // differential: scale "before" to the "after" total
    // Differential colour: by default a frame is coloured by its self delta (the
    // change of the stacks that end in it), as flamegraph.pl does; with
    // inclusive_delta by the change of everything under it.
    bool inclusive_delta = false;
};

// A frame name as drawn: flamegraph.pl's annotations "_[k]" (kernel), "_[j]"
// (JIT), "_[i]" (inlined) and "_[w]" (waker) pick the colour, then are removed
// from the title and label.
std::string_view strip_frame_annotation(std::string_view name);

// Parses "--minwidth" text: "0.5" (px) or "2%" (of the total). Throws UserError.
void parse_min_width(const std::string& text, FlameGraphOptions& options);

// One drawn frame: a run of stacks sharing a prefix, in count units.
struct FlameFrame {
    uint32_t name = 0;      // id in FoldedStacks::names; kRootName for the root
    uint32_t depth = 0;     // root = 0
    double start = 0;       // sum of counts of the stacks to its left
    double width = 0;       // sum of counts of its stacks
    double delta = 0;       // differential: after - before, over all its stacks (inclusive)
    double self_delta = 0;  // differential: after - before, over the stacks ending in it
};

struct FlameLayout {
    static constexpr uint32_t kRootName = UINT32_MAX;
    std::vector<FlameFrame> frames;  // root last
    double total = 0;                // width of the root
    uint32_t max_depth = 0;          // deepest drawn frame
    double max_delta = 0;            // differential: largest |after - before| of one stack
                                     // (= the largest |self_delta| of a frame)
    double max_inclusive_delta = 0;  // differential: largest |delta| of a frame below the root
    bool differential = false;
    size_t merged_stacks = 0;  // distinct stacks after merging equal ones
};

// Merges the stacks into frames. Sorts (or, for a flame chart, keeps) the
// stacks, so `stacks` is modified (and reversed for options.reverse). Frames
// narrower than the minimum width are dropped. Widths are `count`, or `count2`
// (after) for a differential.
FlameLayout layout_flame_graph(FoldedStacks& stacks, const FlameGraphOptions& options);

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb&) const = default;
};

// Known palette names, for --help and error messages.
const std::vector<std::string>& flame_palettes();

// Colours frames by palette. With `hash` a name always gets the same colour;
// without, colours follow a fixed pseudo-random sequence (reproducible output).
class FlameColorer {
  public:
    FlameColorer(const std::string& palette, bool hash);  // throws UserError
    Rgb color(std::string_view name);
    // Differential: red = grew, blue = shrank, white = unchanged.
    static Rgb diff_color(double delta, double max_delta, bool negate);

  private:
    int palette_;
    bool hash_;
    uint64_t random_state_ = 0x5eed5eedULL;
};

// The whole SVG document.
std::string render_flame_graph_svg(const FoldedStacks& stacks, const FlameLayout& layout,
                                   const FlameGraphOptions& options);

// XML text/attribute escaping (& < > " '), replacing control characters and
// invalid UTF-8 so the output is always well-formed.
void append_xml_escaped(std::string& out, std::string_view text);

// The embedded script and style.
extern const char* const kFlameGraphScript;
extern const char* const kFlameGraphStyle;

}  // namespace bpfscope::report
