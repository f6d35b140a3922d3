#include "symbols/perf_map.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace bpfscope::symbols {
namespace {

bool take_hex(std::string_view& text, uint64_t& value) {
    if (text.starts_with("0x") || text.starts_with("0X")) {
        text.remove_prefix(2);
    }
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (error != std::errc() || end == text.data()) {
        return false;
    }
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return !text.empty() && text.front() == ' ';
}

}  // namespace

PerfMap PerfMap::parse(std::string_view text) {
    PerfMap map;
    size_t order = 0;
    std::vector<std::pair<Entry, size_t>> entries;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        Entry entry;
        if (!take_hex(line, entry.start)) {
            continue;
        }
        line.remove_prefix(1);
        if (!take_hex(line, entry.size) || entry.size == 0) {
            continue;
        }
        line.remove_prefix(1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        entry.name = std::string(line);
        entries.emplace_back(std::move(entry), order++);
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a.first.start != b.first.start ? a.first.start < b.first.start : a.second < b.second;
    });
    for (auto& [entry, line] : entries) {
        map.entries_.push_back(std::move(entry));
    }
    return map;
}

std::optional<PerfMap> PerfMap::read(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse(text.str());
}

const PerfMap::Entry* PerfMap::find(uint64_t address) const {
    auto after =
        std::upper_bound(entries_.begin(), entries_.end(), address,
                         [](uint64_t value, const Entry& entry) { return value < entry.start; });
    // Look back over a few entries for one that still covers the address (a long
    // function followed by short ones it overlaps after regeneration).
    const Entry* found = nullptr;
    for (int steps = 0; after != entries_.begin() && steps < 8; ++steps) {
        --after;
        if (address < after->start + after->size) {
            found = &*after;
            break;
        }
    }
    return found;
}

}  // namespace bpfscope::symbols
