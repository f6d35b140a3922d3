#pragma once
// The neutral report model. Tools build a Report from kernel maps; writers
// (text_writer.h, json_writer.h) render it. A tool never formats output and a
// writer never talks to the kernel.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "report/histogram.h"

namespace bpfscope::report {

using Value = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string>;

struct Field {
    std::string key;  // stable machine name, e.g. "count", "backend"
    Value value;
    std::string unit;    // "" when unitless; "ns", "us", "ms", "%", ...
    int precision = -1;  // text: digits after the point of a double; -1 adapts to the magnitude
};

// Structured data: a value, a list or a record of them, nested. A report whose
// JSON form is a fixed, versioned file schema (bpfscope.memcg.report) carries
// it as Report::document and the JSON writer prints it as it is.
class Data {
  public:
    using List = std::vector<Data>;
    using Record = std::map<std::string, Data>;  // keys in order, as the JSON writer prints them

    Data() = default;  // null
    Data(std::nullptr_t) {}
    Data(Value value) : content_(std::move(value)) {}
    Data(const char* text) : content_(Value(std::string(text))) {}
    Data(std::string text) : content_(Value(std::move(text))) {}
    Data(double number) : content_(Value(number)) {}
    template <std::integral T>
    Data(T number) : content_(integral_value(number)) {}
    Data(List list) : content_(std::move(list)) {}
    Data(Record record) : content_(std::move(record)) {}
    template <typename T>
    Data(const std::vector<T>& values) : content_(List(values.begin(), values.end())) {}
    template <typename T>
    Data(const std::map<std::string, T>& values) : content_(Record(values.begin(), values.end())) {}

    static Data record(std::initializer_list<std::pair<const std::string, Data>> items = {}) {
        return Data(Record(items));
    }
    static Data list(std::initializer_list<Data> items = {}) { return Data(List(items)); }

    bool is_null() const {
        const Value* v = as_value();
        return v && std::holds_alternative<std::monostate>(*v);
    }
    const Value* as_value() const { return std::get_if<Value>(&content_); }
    const List* as_list() const { return std::get_if<List>(&content_); }
    const Record* as_record() const { return std::get_if<Record>(&content_); }
    // A null becomes an empty record (or list) on first use, as in JSON libraries.
    Data& operator[](const std::string& key) {
        if (is_null())
            content_ = Record{};
        return std::get<Record>(content_)[key];
    }
    void push_back(Data item) {
        if (is_null())
            content_ = List{};
        std::get<List>(content_).push_back(std::move(item));
    }

  private:
    template <typename T>
    static Value integral_value(T number) {
        if constexpr (std::same_as<T, bool>)
            return number;
        else if constexpr (std::signed_integral<T>)
            return int64_t(number);
        else
            return uint64_t(number);
    }
    std::variant<Value, List, Record> content_;
};

// How the text writer lays out one column of a table with a fixed layout.
enum class Align { kAuto, kLeft, kRight };  // kAuto: numbers right, words left
struct ColumnFormat {
    unsigned gap = 1;    // spaces before the column (before the first: the indent)
    unsigned width = 0;  // minimum width
    Align align = Align::kAuto;
    int precision = -1;  // digits after the point of a double; -1 adapts to the magnitude
};

struct Table {
    std::string title;
    std::vector<std::string> columns;
    std::vector<std::vector<Value>> rows;
    // Empty: widths from the content, names left and numbers right. Otherwise
    // one per column; a row may end early (its missing cells are not printed).
    std::vector<ColumnFormat> formats{};
    bool header = true;  // print the column names as the first line
};

// How the text writer prints a section's fields.
enum class FieldLayout {
    kInline,   // "  key: value  key: value", wrapped at 100 columns
    kLines,    // one "key: value" a line
    kAligned,  // one a line, the key padded to key_width and no colon: "release   6.18"
};

struct Section {
    std::string title;  // what is measured, e.g. a target spec
    std::string kind;   // "target", "summary", "overhead", ... (stable, for JSON consumers)
    std::vector<Field> fields;
    std::optional<Log2Histogram> histogram;
    std::vector<Table> tables;
    std::vector<std::string> notes;  // human remarks, e.g. why a backend was not used
    // Text layout. A section without a title continues the one before it
    // (no blank line, no title line).
    FieldLayout layout = FieldLayout::kInline;
    unsigned key_width = 0;     // kAligned
    unsigned indent = 2;        // kLines and kAligned fields, and notes
    bool blank_before = false;  // an untitled section: start with a blank line

    Section& add(std::string key, Value value, std::string unit = {}) {
        fields.push_back({std::move(key), std::move(value), std::move(unit)});
        return *this;
    }
    const Field* find(const std::string& key) const {
        for (const auto& f : fields)
            if (f.key == key)
                return &f;
        return nullptr;
    }
};

struct Report {
    std::string tool;
    std::optional<std::string> timestamp;  // set with -T or for interval output
    std::vector<Field> header;             // run-wide facts (kernel, duration, ...)
    std::vector<Section> sections;
    std::vector<std::string> warnings;  // data loss and other things the user must know
    // Set for a report with its own file schema: the JSON writer prints this
    // document instead of the generic form; the text writer ignores it.
    Data document;

    Section& add_section(std::string title, std::string kind) {
        Section section;
        section.title = std::move(title);
        section.kind = std::move(kind);
        sections.push_back(std::move(section));
        return sections.back();
    }
};

}  // namespace bpfscope::report
