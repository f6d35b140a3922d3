#include "symbols/kallsyms.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace bpfscope::symbols {

std::string_view base_function_name(std::string_view name) {
    size_t dot = name.find('.');
    return dot == std::string_view::npos ? name : name.substr(0, dot);
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++) previous[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        current[0] = i;
        for (size_t j = 1; j <= b.size(); j++) {
            size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

Kallsyms::Kallsyms(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw UserError("cannot read " + path + ": kernel symbols are needed to resolve functions");
    std::stringstream buffer;
    buffer << in.rdbuf();
    parse(buffer.str());
}

const Kallsyms& Kallsyms::system() {
    static const Kallsyms instance("/proc/kallsyms");
    return instance;
}

Kallsyms Kallsyms::from_text(std::string_view text) {
    Kallsyms k;
    k.parse(text);
    return k;
}

void Kallsyms::parse(std::string_view text) {
    size_t position = 0;
    while (position < text.size()) {
        size_t end = text.find('\n', position);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(position, end - position);
        position = end + 1;
        // "ffffffff81000000 T _stext" or "... t name\t[module]"
        size_t first_space = line.find(' ');
        if (first_space == std::string_view::npos || first_space + 3 > line.size())
            continue;
        KernelSymbol symbol;
        std::from_chars(line.data(), line.data() + first_space, symbol.address, 16);
        symbol.type = line[first_space + 1];
        std::string_view rest = line.substr(first_space + 3);
        size_t tab = rest.find('\t');
        if (tab != std::string_view::npos) {
            std::string_view module = rest.substr(tab + 1);
            if (module.size() >= 2 && module.front() == '[' && module.back() == ']')
                symbol.module = std::string(module.substr(1, module.size() - 2));
            rest = rest.substr(0, tab);
        }
        symbol.name = std::string(rest);
        if (symbol.address != 0)
            has_addresses_ = true;
        by_address_.push_back(std::move(symbol));
    }
    std::stable_sort(
        by_address_.begin(), by_address_.end(),
        [](const KernelSymbol& a, const KernelSymbol& b) { return a.address < b.address; });
    by_name_.resize(by_address_.size());
    for (uint32_t i = 0; i < by_name_.size(); i++) by_name_[i] = i;
    std::sort(by_name_.begin(), by_name_.end(),
              [this](uint32_t a, uint32_t b) { return by_address_[a].name < by_address_[b].name; });
}

bool Kallsyms::contains(const std::string& name) const {
    return address(name).has_value();
}

bool Kallsyms::contains_function(const std::string& name) const {
    auto it = std::lower_bound(
        by_name_.begin(), by_name_.end(), name,
        [this](uint32_t i, const std::string& n) { return by_address_[i].name < n; });
    for (; it != by_name_.end() && by_address_[*it].name == name; ++it) {
        char type = by_address_[*it].type;
        if (type == 't' || type == 'T' || type == 'w' || type == 'W')
            return true;
    }
    return false;
}

std::optional<uint64_t> Kallsyms::address(const std::string& name) const {
    auto it = std::lower_bound(
        by_name_.begin(), by_name_.end(), name,
        [this](uint32_t i, const std::string& n) { return by_address_[i].name < n; });
    if (it == by_name_.end() || by_address_[*it].name != name)
        return std::nullopt;
    return by_address_[*it].address;
}

ResolvedKernelAddress Kallsyms::resolve(uint64_t address) const {
    ResolvedKernelAddress result;
    if (!has_addresses_ || by_address_.empty())
        return result;
    auto it = std::upper_bound(by_address_.begin(), by_address_.end(), address,
                               [](uint64_t a, const KernelSymbol& s) { return a < s.address; });
    if (it == by_address_.begin())
        return result;
    --it;
    result.symbol = &*it;
    result.offset = address - it->address;
    return result;
}

std::vector<std::string> Kallsyms::similar(const std::string& name, size_t limit) const {
    std::vector<std::pair<size_t, std::string>> scored;
    std::string_view wanted = name;
    for (const auto& symbol : by_address_) {
        if (symbol.type != 't' && symbol.type != 'T')
            continue;
        if (symbol.name.rfind("__pfx_", 0) == 0)
            continue;  // padding before a function, not code
        std::string_view candidate = symbol.name;
        size_t score;
        std::string_view base = base_function_name(candidate);
        bool long_enough = base.size() >= std::max<size_t>(6, wanted.size() / 2);
        if (candidate.find(wanted) != std::string_view::npos ||
            (long_enough && wanted.find(base) != std::string_view::npos))
            score = candidate.size() > wanted.size() ? candidate.size() - wanted.size() : 0;
        else if (candidate.size() > wanted.size() + 8 || wanted.size() > candidate.size() + 8)
            continue;  // too different to be a typo or a rename
        else
            score = 1000 + edit_distance(wanted, candidate);
        if (score >= 1000 && score - 1000 > std::max<size_t>(3, wanted.size() / 3))
            continue;
        scored.emplace_back(score, symbol.name);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<std::string> out;
    for (const auto& [score, candidate] : scored) {
        if (std::find(out.begin(), out.end(), candidate) != out.end())
            continue;
        out.push_back(candidate);
        if (out.size() >= limit)
            break;
    }
    return out;
}

std::set<std::string> Kallsyms::function_names() const {
    std::set<std::string> names;
    for (const auto& symbol : by_address_)
        if (symbol.type == 't' || symbol.type == 'T')
            names.emplace(base_function_name(symbol.name));
    return names;
}

std::vector<std::string> Kallsyms::clones_of(const std::string& name) const {
    std::vector<std::string> out;
    std::string prefix = name + ".";
    auto it = std::lower_bound(
        by_name_.begin(), by_name_.end(), prefix,
        [this](uint32_t i, const std::string& n) { return by_address_[i].name < n; });
    for (; it != by_name_.end() && by_address_[*it].name.compare(0, prefix.size(), prefix) == 0;
         ++it)
        out.push_back(by_address_[*it].name);
    return out;
}

}  // namespace bpfscope::symbols
