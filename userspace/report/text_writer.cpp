#include "report/text_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace bpfscope::report {

std::string format_value(const Value& value, int precision) {
    if (const double* number = std::get_if<double>(&value); number && precision >= 0) {
        if (std::isnan(*number))
            return "-";
        return fmt::format("{:.{}f}", *number, precision);
    }
    struct Visitor {
        std::string operator()(std::monostate) const { return "-"; }
        std::string operator()(bool b) const { return b ? "yes" : "no"; }
        std::string operator()(int64_t v) const { return std::to_string(v); }
        std::string operator()(uint64_t v) const { return std::to_string(v); }
        std::string operator()(double v) const {
            if (std::isnan(v))
                return "-";
            double magnitude = std::fabs(v);
            if (magnitude >= 100 || v == std::floor(v))
                return fmt::format("{:.0f}", v);
            if (magnitude >= 10)
                return fmt::format("{:.1f}", v);
            return fmt::format("{:.2f}", v);
        }
        std::string operator()(const std::string& s) const { return s; }
    };
    return std::visit(Visitor{}, value);
}

std::string format_bound(uint64_t value) {
    static const char* suffixes[] = {"", "K", "M", "G", "T", "P", "E"};
    unsigned index = 0;
    while (value >= 1024 && value % 1024 == 0 && index < 6) {
        value /= 1024;
        index++;
    }
    return std::to_string(value) + suffixes[index];
}

std::string render_histogram(const Log2Histogram& histogram, unsigned bar_width) {
    std::ostringstream out;
    auto range = occupied_slots(histogram.slots);
    if (!range)
        return "  (no events)\n";
    const unsigned first = range->first, last = range->last;
    uint64_t peak =
        *std::max_element(histogram.slots.begin() + first, histogram.slots.begin() + last + 1);
    std::vector<std::string> labels;
    size_t label_width = 0;
    for (unsigned slot = first; slot <= last; slot++) {
        std::string label =
            slot == 0
                ? "[0]"
                : fmt::format("[{}, {})", format_bound(log2_slot_low(slot)),
                              slot >= 64 ? std::string("inf") : format_bound(log2_slot_high(slot)));
        label_width = std::max(label_width, label.size());
        labels.push_back(std::move(label));
    }
    out << fmt::format("  {:<{}} {:>10} distribution\n", histogram.unit, label_width, "count");
    for (unsigned slot = first; slot <= last; slot++) {
        uint64_t count = histogram.slots[slot];
        unsigned bar = peak ? unsigned((count * bar_width + peak - 1) / peak) : 0;
        if (count == 0)
            bar = 0;
        out << fmt::format("  {:<{}} {:>10} |{:<{}}|\n", labels[slot - first], label_width, count,
                           std::string(bar, '@'), bar_width);
    }
    return out.str();
}

namespace {

// A table whose layout the producer fixed: gaps, widths, alignment, precision.
std::string render_fixed_table(const Table& table) {
    std::ostringstream out;
    if (!table.title.empty())
        out << "  " << table.title << "\n";
    auto line = [&](const std::vector<Value>& cells) {
        for (size_t c = 0; c < cells.size() && c < table.formats.size(); c++) {
            const ColumnFormat& format = table.formats[c];
            bool right =
                format.align == Align::kRight ||
                (format.align == Align::kAuto && !std::holds_alternative<std::string>(cells[c]));
            std::string text = format_value(cells[c], format.precision);
            out << std::string(format.gap, ' ')
                << (right ? fmt::format("{:>{}}", text, format.width)
                          : fmt::format("{:<{}}", text, format.width));
        }
        out << "\n";
    };
    if (table.header)
        line(std::vector<Value>(table.columns.begin(), table.columns.end()));
    for (const auto& row : table.rows) line(row);
    return out.str();
}

}  // namespace

std::string render_table(const Table& table) {
    if (!table.formats.empty())
        return render_fixed_table(table);
    std::vector<size_t> widths(table.columns.size(), 0);
    std::vector<bool> numeric(table.columns.size(), true);  // right-align numeric columns
    std::vector<std::vector<std::string>> cells;
    for (size_t c = 0; c < table.columns.size(); c++) widths[c] = table.columns[c].size();
    for (const auto& row : table.rows) {
        std::vector<std::string> rendered;
        for (size_t c = 0; c < row.size() && c < widths.size(); c++) {
            rendered.push_back(format_value(row[c]));
            if (std::holds_alternative<std::string>(row[c]) && rendered.back() != "-")
                numeric[c] = false;
            widths[c] = std::max(widths[c], rendered.back().size());
        }
        cells.push_back(std::move(rendered));
    }
    std::ostringstream out;
    if (!table.title.empty())
        out << "  " << table.title << "\n";
    auto line = [&](const std::vector<std::string>& values) {
        out << " ";
        for (size_t c = 0; c < values.size(); c++) {
            // Names and words left-aligned, numbers right-aligned.
            if (c == 0 || !numeric[c])
                out << fmt::format(" {:<{}}", values[c], widths[c]);
            else
                out << fmt::format("  {:>{}}", values[c], widths[c]);
        }
        out << "\n";
    };
    line(table.columns);
    for (const auto& row : cells) line(row);
    return out.str();
}

namespace {
std::string field_value(const Field& field) {
    std::string value = format_value(field.value, field.precision);
    if (!field.unit.empty() && !std::holds_alternative<std::monostate>(field.value))
        value += " " + field.unit;
    return value;
}

std::string field_line(const Field& field) {
    return fmt::format("{}: {}", field.key, field_value(field));
}
}  // namespace

void write_text(std::ostream& out, const Report& report) {
    if (report.timestamp)
        out << report.timestamp.value() << "\n";
    for (const auto& field : report.header) out << field_line(field) << "\n";
    for (const auto& section : report.sections) {
        if (!section.title.empty())
            out << "\n" << section.title << "\n";
        else if (section.blank_before)
            out << "\n";
        std::string indent(section.indent, ' ');
        if (section.layout == FieldLayout::kLines) {
            for (const auto& field : section.fields) out << indent << field_line(field) << "\n";
        } else if (section.layout == FieldLayout::kAligned) {
            for (const auto& field : section.fields)
                out << indent << fmt::format("{:<{}}", field.key, section.key_width)
                    << field_value(field) << "\n";
        } else if (!section.fields.empty()) {
            std::string line = " ";
            for (const auto& field : section.fields) {
                std::string item = " " + field_line(field);
                if (line.size() + item.size() > 100 && line.size() > 1) {
                    out << line << "\n";
                    line = " ";
                }
                line += item;
            }
            out << line << "\n";
        }
        for (const auto& note : section.notes) out << indent << "note: " << note << "\n";
        if (section.histogram)
            out << render_histogram(*section.histogram);
        for (const auto& table : section.tables) out << render_table(table);
    }
    if (!report.warnings.empty())
        out << "\n";
    for (const auto& warning : report.warnings) out << "WARNING: " << warning << "\n";
    out.flush();
}

}  // namespace bpfscope::report
