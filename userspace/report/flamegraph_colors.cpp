// Frame colours. Each palette is a box in RGB space; a frame's three
// variation values pick a point in the box. The values come from a hash of
// the name (--hash: the same function has the same colour in every graph) or
// from a fixed pseudo-random sequence (reproducible, but per frame).
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "report/flamegraph.h"

namespace bpfscope::report {

namespace {

struct Range {
    double low, high;
    double at(double v) const { return low + (high - low) * v; }
};

struct Palette {
    const char* name;
    Range r, g, b;
};

// Palettes with a box; "java" and "js" pick a box per frame from the name.
constexpr Palette kPalettes[] = {
    {"hot", {205, 255}, {0, 230}, {0, 55}},         // CPU: reds, oranges, yellows
    {"mem", {0, 60}, {180, 240}, {60, 200}},        // memory: greens
    {"io", {80, 140}, {80, 140}, {190, 250}},       // I/O, off-CPU: blues
    {"wakeup", {50, 110}, {165, 225}, {165, 225}},  // wakeups: aqua
    {"red", {200, 255}, {50, 110}, {50, 110}},
    {"green", {50, 110}, {200, 255}, {50, 110}},
    {"blue", {80, 140}, {80, 140}, {200, 255}},
    {"aqua", {50, 110}, {165, 225}, {165, 225}},
    {"yellow", {175, 230}, {175, 230}, {50, 110}},
    {"purple", {190, 250}, {80, 140}, {190, 250}},
    {"orange", {190, 250}, {90, 155}, {0, 55}},
    {"java", {}, {}, {}},
    {"js", {}, {}, {}},
};
constexpr int kPaletteCount = sizeof(kPalettes) / sizeof(kPalettes[0]);

int palette_index(const char* name) {
    for (int i = 0; i < kPaletteCount; i++) {
        if (std::string_view(kPalettes[i].name) == name)
            return i;
    }
    return 0;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Mixed languages: kernel orange, inlined aqua, JIT/managed green, C++ yellow,
// everything else (C, native) red.
int mixed_language_palette(std::string_view name, bool javascript) {
    if (ends_with(name, "_[k]"))
        return palette_index("orange");
    if (ends_with(name, "_[i]"))
        return palette_index("aqua");
    if (ends_with(name, "_[j]"))
        return palette_index("green");
    if (javascript) {
        if (name.find(".js") != std::string_view::npos ||
            name.find('/') != std::string_view::npos) {
            return palette_index("green");
        }
    } else {
        // Java frames look like "Lorg/example/Foo;.bar" or "org/example/Foo.bar".
        if (name.find('/') != std::string_view::npos ||
            (!name.empty() && name[0] == 'L' && name.find(';') != std::string_view::npos)) {
            return palette_index("green");
        }
    }
    if (name.find("::") != std::string_view::npos)
        return palette_index("yellow");
    return palette_index("red");
}

uint64_t fnv1a(std::string_view text) {
    uint64_t hash = 1469598103934665603ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    // Final mix so that names differing in the last byte still spread out.
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    return hash;
}

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint8_t channel(double value) {
    return static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
}

}  // namespace

std::string_view strip_frame_annotation(std::string_view name) {
    if (name.size() > 4 && name.substr(name.size() - 4, 2) == "_[" && name.back() == ']') {
        char kind = name[name.size() - 2];
        if (kind == 'k' || kind == 'j' || kind == 'i' || kind == 'w')
            return name.substr(0, name.size() - 4);
    }
    return name;
}

const std::vector<std::string>& flame_palettes() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        for (const auto& palette : kPalettes) list.emplace_back(palette.name);
        return list;
    }();
    return names;
}

FlameColorer::FlameColorer(const std::string& palette, bool hash) : palette_(-1), hash_(hash) {
    for (int i = 0; i < kPaletteCount; i++) {
        if (palette == kPalettes[i].name)
            palette_ = i;
    }
    if (palette_ < 0) {
        std::string known;
        for (const auto& name : flame_palettes()) known += (known.empty() ? "" : ", ") + name;
        throw UserError("unknown colour palette '" + palette + "'; use one of: " + known);
    }
}

Rgb FlameColorer::color(std::string_view name) {
    uint64_t bits = hash_ ? fnv1a(name) : splitmix64(random_state_);
    double v1 = static_cast<double>(bits & 0xffff) / 65535.0;
    double v2 = static_cast<double>((bits >> 16) & 0xffff) / 65535.0;
    double v3 = static_cast<double>((bits >> 32) & 0xffff) / 65535.0;
    // The "-" frame separating user from kernel stacks is structure, not code.
    if (name == "-" || name == "--")
        return {160, 160, 160};
    int index = palette_;
    std::string_view palette_name = kPalettes[index].name;
    if (palette_name == "java" || palette_name == "js") {
        index = mixed_language_palette(name, palette_name == "js");
    }
    const Palette& palette = kPalettes[index];
    return {channel(palette.r.at(v1)), channel(palette.g.at(v2)), channel(palette.b.at(v3))};
}

Rgb FlameColorer::diff_color(double delta, double max_delta, bool negate) {
    if (negate)
        delta = -delta;
    if (delta == 0 || max_delta <= 0)
        return {255, 255, 255};
    // flamegraph.pl's color_scale: the other two channels are
    // int(210 * (max - |delta|) / max), so even a tiny change is visibly tinted.
    double magnitude = std::min(std::fabs(delta), max_delta);
    auto faded = static_cast<uint8_t>(
        std::clamp(std::floor(210 * (max_delta - magnitude) / max_delta), 0.0, 210.0));
    if (delta > 0)
        return {255, faded, faded};
    return {faded, faded, 255};
}

}  // namespace bpfscope::report
