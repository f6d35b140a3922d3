#pragma once
// One parser for libbpf-tools' text output, used on both sides of the
// drop-in conformance tests (Debian's /usr/sbin tools and bpfscope run as
// runqlat, offcputime, ...): print_log2_hist tables (with their "pid = N comm"
// lines and timestamps), multi-line stacks ("    frame", "    -  comm (id)",
// "        value") and folded lines. It also checks each table row's stars
// against libbpf-tools' rule, so a malformed table fails to parse.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace bpfscope::test {

struct BccHistogram {
    std::string owner;  // "pid = 12 comm", "tid = ...", "" for the one table
    std::string unit;   // "usecs", "msecs", "nsec", ...
    std::vector<uint64_t> lows, highs, counts;
    uint64_t total() const { return std::accumulate(counts.begin(), counts.end(), uint64_t(0)); }
};

struct BccStack {
    std::vector<std::string> frames;  // as printed (leaf first)
    std::string comm;
    uint32_t id = 0;
    uint64_t value = 0;
};

struct BccText {
    std::vector<std::string> banners;     // "Tracing ...", "Sampling ...", "Exiting ..."
    std::vector<std::string> timestamps;  // "HH:MM:SS"
    std::vector<BccHistogram> histograms;
    std::vector<BccStack> stacks;
    std::vector<std::string> bad_lines;  // lines that fit none of the forms
    size_t blank_lines = 0;
};

inline BccText parse_bcc_text(const std::string& text) {
    static const std::regex header(R"(^ +(\S+) +: count    distribution$)");
    static const std::regex row(R"(^ *(\d+) -> (\d+) *: (\d+) +\|(\**) *(\+?)\|$)");
    static const std::regex owner(R"(^((?:pid|tid|pidns) = \d+ .*)$)");
    static const std::regex timestamp(R"(^(\d\d:\d\d:\d\d) *$)");
    static const std::regex stack_end(R"(^    -                (.*) \((\d+)\)$)");
    static const std::regex value(R"(^        (\d+)$)");
    static const std::regex frame(R"(^    (\S.*)$)");
    BccText out;
    std::istringstream in(text);
    std::string line, pending_owner;
    BccStack stack;
    bool in_table = false, want_value = false;
    std::vector<std::string> table_stars;
    auto check_stars = [&](BccHistogram& h) {
        // print_stars(): count * width / max stars (width 40, or 20 past slot 32).
        uint64_t max = *std::max_element(h.counts.begin(), h.counts.end());
        int width = h.counts.size() > 33 ? 20 : 40;
        for (size_t i = 0; i < h.counts.size(); ++i)
            if (table_stars[i].size() != (max ? h.counts[i] * width / max : 0))
                out.bad_lines.push_back("stars of row " + std::to_string(i) + " in a " + h.unit +
                                        " table");
    };
    while (std::getline(in, line)) {
        std::smatch m;
        if (in_table && std::regex_match(line, m, row)) {
            auto& h = out.histograms.back();
            h.lows.push_back(std::stoull(m[1]));
            h.highs.push_back(std::stoull(m[2]));
            h.counts.push_back(std::stoull(m[3]));
            table_stars.push_back(m[4]);
            continue;
        }
        if (in_table) {
            check_stars(out.histograms.back());
            in_table = false;
        }
        if (want_value) {
            want_value = false;
            if (std::regex_match(line, m, value)) {
                stack.value = std::stoull(m[1]);
                out.stacks.push_back(stack);
                stack = {};
                continue;
            }
            out.bad_lines.push_back(line);
        }
        if (line.empty()) {
            out.blank_lines++;
        } else if (std::regex_match(line, m, header)) {
            out.histograms.push_back({pending_owner, m[1], {}, {}, {}});
            pending_owner.clear();
            table_stars.clear();
            in_table = true;
        } else if (std::regex_match(line, m, owner)) {
            pending_owner = m[1];
        } else if (std::regex_match(line, m, timestamp)) {
            out.timestamps.push_back(m[1]);
        } else if (line.rfind("Tracing ", 0) == 0 || line.rfind("Sampling at ", 0) == 0 ||
                   line.rfind("Exiting trace of ", 0) == 0) {
            out.banners.push_back(line);
        } else if (std::regex_match(line, m, stack_end)) {
            stack.comm = m[1];
            stack.id = uint32_t(std::stoul(m[2]));
            want_value = true;
        } else if (std::regex_match(line, m, frame)) {
            stack.frames.push_back(m[1]);
        } else {
            out.bad_lines.push_back(line);
        }
    }
    if (in_table)
        check_stars(out.histograms.back());
    return out;
}

// "comm;frame;...;frame count" lines (profile -f).
struct FoldedLine {
    std::vector<std::string> frames;  // comm first
    uint64_t count = 0;
};

inline std::vector<FoldedLine> parse_bcc_folded(const std::string& text,
                                                std::vector<std::string>* bad_lines = nullptr) {
    std::vector<FoldedLine> out;
    std::istringstream in(text);
    std::string line;
    static const std::regex folded(R"(^(.+) (\d+)$)");
    while (std::getline(in, line)) {
        std::smatch m;
        if (line.empty())
            continue;
        if (!std::regex_match(line, m, folded)) {
            if (bad_lines)
                bad_lines->push_back(line);
            continue;
        }
        FoldedLine entry;
        std::string stack = m[1];
        size_t start = 0;
        while (true) {
            size_t semicolon = stack.find(';', start);
            entry.frames.push_back(stack.substr(start, semicolon - start));
            if (semicolon == std::string::npos)
                break;
            start = semicolon + 1;
        }
        entry.count = std::stoull(m[2]);
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace bpfscope::test
