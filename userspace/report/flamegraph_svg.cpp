// Renders a FlameLayout as one self-contained SVG document.
#include <cctype>
#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/flamegraph.h"
#include "report/utf8.h"

namespace bpfscope::report {

namespace {

constexpr double kPad = 10;  // px left and right; layout_flame_graph uses the same

// Fixed-point number with `decimals` digits after the point. The frame loop
// writes ~10 numbers per frame, and fmt's float formatting dominated it.
void append_fixed(std::string& out, double value, int decimals) {
    static constexpr long kScale[] = {1, 10, 100, 1000};
    long scaled = std::lround(value * static_cast<double>(kScale[decimals]));
    if (scaled < 0) {
        out += '-';
        scaled = -scaled;
    }
    char digits[32];
    auto [end, error] = std::to_chars(digits, digits + sizeof(digits), scaled / kScale[decimals]);
    out.append(digits, end);
    if (decimals > 0) {
        out += '.';
        long fraction = scaled % kScale[decimals];
        for (long unit = kScale[decimals] / 10; unit > 0; unit /= 10) {
            out += static_cast<char>('0' + (fraction / unit) % 10);
        }
    }
}

void append_count(std::string& out, double value) {
    if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
        char digits[32];
        auto [end, error] =
            std::to_chars(digits, digits + sizeof(digits), static_cast<int64_t>(value));
        out.append(digits, end);
    } else {
        out += format_count(value);
    }
}

// Thousands separators for integral counts ("1,234,567"), else format_count.
std::string format_count_grouped(double value) {
    std::string plain = format_count(value);
    size_t digits_end = plain.find('.');
    if (digits_end == std::string::npos)
        digits_end = plain.size();
    size_t digits_start = (!plain.empty() && plain[0] == '-') ? 1 : 0;
    std::string out = plain.substr(0, digits_start);
    for (size_t i = digits_start; i < digits_end; i++) {
        if (i > digits_start && (digits_end - i) % 3 == 0)
            out += ',';
        out += plain[i];
    }
    out += plain.substr(digits_end);
    return out;
}

// Label that fits `width_px`, as the script computes it after a zoom.
std::string_view fit_label(std::string_view name, double width_px, const FlameGraphOptions& options,
                           bool& truncated) {
    truncated = false;
    double glyph = options.font_size * options.font_width;
    auto fits = static_cast<long>((width_px - 3) / glyph);
    if (fits < 3)
        return {};
    // Count characters, not bytes, but cut only at character boundaries.
    size_t chars = 0;
    size_t cut = 0;
    size_t fit_chars = static_cast<size_t>(fits);
    for (size_t i = 0; i < name.size(); i++) {
        if ((static_cast<unsigned char>(name[i]) & 0xC0) == 0x80)
            continue;
        if (chars == fit_chars - 2)
            cut = i;
        chars++;
    }
    if (chars <= fit_chars)
        return name;
    truncated = true;
    return name.substr(0, cut);
}

}  // namespace

void append_xml_escaped(std::string& out, std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
                case '&':
                    out += "&amp;";
                    break;
                case '<':
                    out += "&lt;";
                    break;
                case '>':
                    out += "&gt;";
                    break;
                case '"':
                    out += "&quot;";
                    break;
                case '\'':
                    out += "&apos;";
                    break;
                default:
                    // XML 1.0 forbids most control characters even as references.
                    out += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ? '?' : text[i];
            }
            i++;
            continue;
        }
        size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0) {
            out += kUtf8Replacement;  // as pprof and JSON replace it
            i++;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
}

std::string render_flame_graph_svg(const FoldedStacks& stacks, const FlameLayout& layout,
                                   const FlameGraphOptions& options) {
    const double font = options.font_size;
    const double frame_height = options.frame_height;
    const double header = font * 3 + (options.subtitle.empty() ? 0 : font * 2);
    const double footer = font * 2 + 10;
    const double image_height = header + footer + frame_height * (layout.max_depth + 1);
    const double image_width = options.width;
    const double scale = layout.total > 0 ? (image_width - 2 * kPad) / layout.total : 0;

    std::string title = options.title;
    if (title.empty()) {
        title = options.flamechart    ? "Flame Chart"
                : options.inverted    ? "Icicle Graph"
                : layout.differential ? "Differential Flame Graph"
                                      : "Flame Graph";
    }

    std::string out;
    out.reserve(4096 + layout.frames.size() * 220);
    auto it = std::back_inserter(out);
    fmt::format_to(it,
                   "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                   "<svg version=\"1.1\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
                   "onload=\"fgInit(evt)\" xmlns=\"http://www.w3.org/2000/svg\">\n",
                   image_width, image_height);

    // Everything the script needs to know about the layout.
    nlohmann::json config = {
        {"width", image_width},
        {"pad", kPad},
        {"fontSize", font},
        {"fontWidth", options.font_width},
        {"frameHeight", frame_height},
        {"inverted", options.inverted},
        {"total", layout.total},
        {"countName", options.count_name},
        {"nameType", options.name_type},
        {"differential", layout.differential},
    };
    // Inside CDATA: no '>' may appear, so "]]>" cannot end the section early.
    std::string config_text;
    for (char c : config.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace)) {
        if (c == '>') {
            config_text += "\\u003e";
        } else {
            config_text += c;
        }
    }
    std::string font_family;
    for (char c : options.font_type) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == ',' || c == '-') {
            font_family += c;
        }
    }
    out += "<style type=\"text/css\"><![CDATA[\n";
    fmt::format_to(it, "text {{ font-family: {}; font-size: {}px; fill: rgb(0,0,0); }}\n",
                   font_family.empty() ? "sans-serif" : font_family, font);
    out += kFlameGraphStyle;
    out += "]]></style>\n<script type=\"text/ecmascript\"><![CDATA[\nvar fgConfig = ";
    out += config_text;
    out += ";\n";
    out += kFlameGraphScript;
    out += "]]></script>\n";

    fmt::format_to(it,
                   "<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
                   "<stop stop-color=\"{}\" offset=\"5%\"/><stop stop-color=\"{}\" "
                   "offset=\"95%\"/></linearGradient></defs>\n",
                   layout.differential ? "#eeeeee" : "#eeeeee",
                   layout.differential ? "#e0e0ff" : "#eeeeb0");
    fmt::format_to(it,
                   "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"url(#background)\"/>\n",
                   image_width, image_height);
    fmt::format_to(it, "<text id=\"title\" x=\"{}\" y=\"{}\">", image_width / 2, font * 2);
    append_xml_escaped(out, title);
    out += "</text>\n";
    if (!options.subtitle.empty()) {
        fmt::format_to(it, "<text id=\"subtitle\" x=\"{}\" y=\"{}\">", image_width / 2, font * 4);
        append_xml_escaped(out, options.subtitle);
        out += "</text>\n";
    }
    fmt::format_to(it, "<text id=\"details\" x=\"{}\" y=\"{}\"> </text>\n", kPad,
                   image_height - font / 2 - 5);
    fmt::format_to(it, "<text id=\"unzoom\" class=\"hide\" x=\"{}\" y=\"{}\">Reset Zoom</text>\n",
                   kPad, font * 2);
    fmt::format_to(it, "<text id=\"search\" x=\"{}\" y=\"{}\">Search</text>\n",
                   image_width - kPad - 100, font * 2);
    fmt::format_to(it, "<text id=\"ignorecase\" x=\"{}\" y=\"{}\">ic</text>\n",
                   image_width - kPad - 16, font * 2);
    fmt::format_to(it, "<text id=\"matched\" x=\"{}\" y=\"{}\"> </text>\n", image_width - kPad,
                   image_height - font / 2 - 5);
    out += "<g id=\"frames\">\n";

    FlameColorer colorer(options.colors, options.hash);
    std::string count_name_escaped;
    append_xml_escaped(count_name_escaped, options.count_name);
    const std::string_view root_name = "all";
    for (const FlameFrame& frame : layout.frames) {
        std::string_view name =
            frame.name == FlameLayout::kRootName ? root_name : stacks.name(frame.name);
        double x = kPad + frame.start * scale;
        double width = frame.width * scale;
        double y = options.inverted ? header + frame.depth * frame_height
                                    : image_height - footer - (frame.depth + 1) * frame_height;
        // The annotated name picks the colour; the title and label do without it.
        double color_delta = options.inclusive_delta ? frame.delta : frame.self_delta;
        Rgb color =
            !layout.differential ? colorer.color(name)
            : options.inclusive_delta
                ? FlameColorer::diff_color(color_delta, layout.max_inclusive_delta, options.negate)
                : FlameColorer::diff_color(color_delta, layout.max_delta, options.negate);
        name = strip_frame_annotation(name);
        double percent = layout.total > 0 ? 100.0 * frame.width / layout.total : 0;

        out += "<g data-x=\"";
        append_count(out, frame.start);
        out += "\" data-w=\"";
        append_count(out, frame.width);
        out += "\"><title>";
        append_xml_escaped(out, name);
        out += " (";
        out += format_count_grouped(frame.width);
        out += ' ';
        out += count_name_escaped;
        out += ", ";
        append_fixed(out, percent, 2);
        out += '%';
        if (layout.differential) {
            double delta = options.negate ? -color_delta : color_delta;
            double delta_percent = layout.total > 0 ? 100.0 * delta / layout.total : 0;
            out += "; ";
            if (delta_percent >= 0)
                out += '+';
            append_fixed(out, delta_percent, 2);
            out += '%';
        }
        out += ")</title><rect x=\"";
        append_fixed(out, x, 1);
        out += "\" y=\"";
        append_fixed(out, y, 1);
        out += "\" width=\"";
        append_fixed(out, width, 1);
        out += "\" height=\"";
        append_fixed(out, frame_height - 1, 1);
        out += "\" fill=\"rgb(";
        out += std::to_string(color.r);
        out += ',';
        out += std::to_string(color.g);
        out += ',';
        out += std::to_string(color.b);
        out += ")\" rx=\"2\" ry=\"2\"/><text x=\"";
        append_fixed(out, x + 3, 1);
        out += "\" y=\"";
        append_fixed(out, y + frame_height / 2 + font / 2 - 2, 1);
        out += "\">";
        bool truncated = false;
        std::string_view label = fit_label(name, width, options, truncated);
        append_xml_escaped(out, label);
        if (truncated)
            out += "..";
        out += "</text></g>\n";
    }
    out += "</g>\n</svg>\n";
    return out;
}

}  // namespace bpfscope::report
