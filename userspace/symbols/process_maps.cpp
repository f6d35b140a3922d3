#include "symbols/process_maps.h"

#include <charconv>
#include <fstream>
#include <string>

namespace bpfscope::symbols {
namespace {

// Consumes a number in `base` from the front of `text`.
template <typename T>
bool take_number(std::string_view& text, T& value, int base) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (error != std::errc() || end == text.data()) {
        return false;
    }
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return true;
}

bool take_char(std::string_view& text, char expected) {
    if (text.empty() || text.front() != expected) {
        return false;
    }
    text.remove_prefix(1);
    return true;
}

void skip_spaces(std::string_view& text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
}

}  // namespace

std::optional<MapsEntry> parse_maps_line(std::string_view line) {
    // 55d0c0a00000-55d0c0a21000 r-xp 00002000 fd:01 1234567   /usr/bin/foo (deleted)
    MapsEntry entry;
    if (!take_number(line, entry.start, 16) || !take_char(line, '-') ||
        !take_number(line, entry.end, 16) || !take_char(line, ' ')) {
        return std::nullopt;
    }
    if (line.size() < 5) {
        return std::nullopt;
    }
    entry.readable = line[0] == 'r';
    entry.writable = line[1] == 'w';
    entry.executable = line[2] == 'x';
    line.remove_prefix(4);
    skip_spaces(line);
    if (!take_number(line, entry.offset, 16)) {
        return std::nullopt;
    }
    skip_spaces(line);
    if (!take_number(line, entry.dev_major, 16) || !take_char(line, ':') ||
        !take_number(line, entry.dev_minor, 16)) {
        return std::nullopt;
    }
    skip_spaces(line);
    if (!take_number(line, entry.inode, 10)) {
        return std::nullopt;
    }
    skip_spaces(line);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    constexpr std::string_view kDeleted = " (deleted)";
    if (line.size() > kDeleted.size() && line.ends_with(kDeleted) && line.front() == '/') {
        entry.deleted = true;
        line.remove_suffix(kDeleted.size());
    }
    entry.path = std::string(line);
    return entry;
}

std::optional<std::vector<MapsEntry>> read_process_maps(uint32_t pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    if (!maps) {
        return std::nullopt;
    }
    std::vector<MapsEntry> entries;
    std::string line;
    bool any_line = false;
    while (std::getline(maps, line)) {
        any_line = true;
        if (auto entry = parse_maps_line(line)) {
            entries.push_back(std::move(*entry));
        }
    }
    // A zombie or a process that exited between open and read shows an empty file.
    if (!any_line) {
        return std::nullopt;
    }
    return entries;
}

}  // namespace bpfscope::symbols
