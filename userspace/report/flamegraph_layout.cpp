// Merging folded stacks into flame graph frames.
//
// Instead of building a tree, the stacks are sorted (frame by frame, by name)
// so that stacks sharing a prefix are neighbours; one pass then opens a frame
// where a stack departs from the previous one and closes it where the next
// stack departs from it. Memory stays at the parsed input plus the drawn
// frames, which is what makes a 100,000-stack input cheap.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "base/error.h"
#include "report/flamegraph.h"

namespace bpfscope::report {

void parse_min_width(const std::string& text, FlameGraphOptions& options) {
    std::string number = text;
    options.min_width_percent = false;
    if (!number.empty() && number.back() == '%') {
        number.pop_back();
        options.min_width_percent = true;
    }
    char* end = nullptr;
    double value = number.empty() ? -1 : std::strtod(number.c_str(), &end);
    if (number.empty() || end == nullptr || *end != '\0' || !(value >= 0)) {
        throw UserError("--minwidth '" + text +
                        "': expected a width in px (e.g. 0.1) or a percentage (e.g. 0.5%)");
    }
    options.min_width = value;
}

namespace {

constexpr double kPad = 10;  // px left and right of the frames (matches the SVG)

}  // namespace

FlameLayout layout_flame_graph(FoldedStacks& stacks, const FlameGraphOptions& options) {
    FlameLayout layout;
    layout.differential = stacks.differential;
    auto& frames = stacks.frames;

    if (options.reverse) {
        for (const auto& stack : stacks.stacks) {
            std::reverse(frames.begin() + stack.first, frames.begin() + stack.first + stack.depth);
        }
    }
    // Differential: widths are the "after" counts; --normalize scales "before"
    // so both sides have the same total.
    if (layout.differential && options.normalize) {
        double before = stacks.total();
        double after = stacks.total2();
        if (before > 0) {
            for (auto& stack : stacks.stacks) stack.count *= after / before;
        }
    }
    auto width_of = [&](const FoldedStacks::Stack& stack) {
        return layout.differential ? stack.count2 : stack.count;
    };

    // Order: by name, frame by frame (a prefix before its extensions). Names
    // are ranked once so the sort compares integers, not strings.
    std::vector<uint32_t> order(stacks.stacks.size());
    std::iota(order.begin(), order.end(), 0u);
    if (!options.flamechart) {
        std::vector<uint32_t> by_name(stacks.names.size());
        std::iota(by_name.begin(), by_name.end(), 0u);
        std::sort(by_name.begin(), by_name.end(),
                  [&](uint32_t a, uint32_t b) { return stacks.names[a] < stacks.names[b]; });
        std::vector<uint32_t> rank(stacks.names.size());
        for (uint32_t i = 0; i < by_name.size(); i++) rank[by_name[i]] = i;
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
            const auto& sa = stacks.stacks[a];
            const auto& sb = stacks.stacks[b];
            uint32_t n = std::min(sa.depth, sb.depth);
            for (uint32_t i = 0; i < n; i++) {
                uint32_t ra = rank[frames[sa.first + i]];
                uint32_t rb = rank[frames[sb.first + i]];
                if (ra != rb)
                    return ra < rb;
            }
            if (sa.depth != sb.depth)
                return sa.depth < sb.depth;
            return a < b;  // stable: equal stacks keep input order
        });
    }

    double total = 0;
    for (const auto& stack : stacks.stacks) total += width_of(stack);
    layout.total = total;
    double min_value = 0;
    if (options.min_width_percent) {
        min_value = total * options.min_width / 100.0;
    } else {
        double drawable = std::max(1.0, options.width - 2 * kPad);
        min_value = total * options.min_width / drawable;
    }

    // Open frames by depth (depth 0 = the root, drawn separately). The width
    // and delta of a frame are the running sums at close minus at open.
    struct Open {
        uint32_t name;
        double start;
        double delta_at_open;
        double self_delta;  // of the stacks that end in this frame
    };
    std::vector<Open> open;
    const FoldedStacks::Stack* previous = nullptr;
    double x = 0;
    double running_delta = 0;
    auto close_down_to = [&](size_t keep) {
        while (open.size() > keep) {
            const Open& frame = open.back();
            double width = x - frame.start;
            if (width > 0 && width >= min_value) {
                auto depth = static_cast<uint32_t>(open.size());
                double delta = running_delta - frame.delta_at_open;
                layout.frames.push_back(
                    {frame.name, depth, frame.start, width, delta, frame.self_delta});
                layout.max_depth = std::max(layout.max_depth, depth);
                layout.max_inclusive_delta = std::max(layout.max_inclusive_delta, std::fabs(delta));
            }
            open.pop_back();
        }
    };
    // A stack's delta counts once all its equal copies (one per input file
    // for --diff) are summed, so the colour scale uses merged stacks.
    double stack_delta = 0;
    for (uint32_t index : order) {
        const auto& stack = stacks.stacks[index];
        // Common prefix with the frames still open.
        size_t common = 0;
        if (previous != nullptr) {
            size_t n = std::min<size_t>(open.size(), stack.depth);
            while (common < n && open[common].name == frames[stack.first + common]) common++;
        }
        bool same_stack = previous != nullptr && common == stack.depth && open.size() == common;
        if (!same_stack) {
            layout.merged_stacks++;
            layout.max_delta = std::max(layout.max_delta, std::fabs(stack_delta));
            stack_delta = 0;
        }
        close_down_to(common);
        for (size_t i = common; i < stack.depth; i++) {
            open.push_back({frames[stack.first + i], x, running_delta, 0});
        }
        previous = &stack;
        x += width_of(stack);
        if (layout.differential) {
            double delta = stack.count2 - stack.count;
            running_delta += delta;
            stack_delta += delta;
            if (stack.depth > 0)
                open[stack.depth - 1].self_delta += delta;
        }
    }
    layout.max_delta = std::max(layout.max_delta, std::fabs(stack_delta));
    close_down_to(0);
    layout.frames.push_back({FlameLayout::kRootName, 0, 0, total, running_delta, 0});
    return layout;
}

}  // namespace bpfscope::report
