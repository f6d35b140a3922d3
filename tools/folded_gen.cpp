// Generates a synthetic folded-stack file for the flame graph benchmark:
// STACKS distinct stacks, depths 5-40, NAMES distinct frame names, counts 1-1000.
// Neighbouring stacks share prefixes as real profiles do. Deterministic (fixed seed).
//
// usage: folded_gen [STACKS [NAMES [SEED]]] > out.folded
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

struct Random {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return next() % n; }
};

std::string make_name(Random& random, size_t index) {
    static const char* const kParts[] = {"read", "write", "alloc", "free", "lock", "run", "do",
                                         "get",  "set",   "hash",  "map",  "io",   "sys", "net"};
    std::string name;
    if (random.below(10) == 0)
        name += "ns" + std::to_string(random.below(20)) + "::";
    name += kParts[random.below(sizeof(kParts) / sizeof(kParts[0]))];
    name += '_';
    name += std::to_string(index);
    return name;
}

}  // namespace

int main(int argc, char** argv) {
    size_t stack_count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
    size_t name_count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3000;
    Random random{argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42};
    if (stack_count == 0 || name_count < 10) {
        std::fprintf(stderr, "usage: folded_gen [STACKS [NAMES>=10 [SEED]]]\n");
        return 2;
    }
    std::vector<std::string> names;
    for (size_t i = 0; i < name_count; i++) names.push_back(make_name(random, i));

    std::unordered_set<std::string> seen;
    std::vector<size_t> previous;
    std::vector<size_t> stack;
    std::string line;
    while (seen.size() < stack_count) {
        size_t depth = 5 + random.below(36);  // 5..40
        // Share a prefix with the previous stack, as sibling call paths do.
        size_t shared = previous.empty() ? 0 : random.below(std::min(depth, previous.size()));
        stack.assign(previous.begin(), previous.begin() + static_cast<long>(shared));
        if (stack.empty())
            stack.push_back(random.below(10));  // a few "process" roots
        while (stack.size() < depth) stack.push_back(random.below(name_count));
        line.clear();
        for (size_t i = 0; i < stack.size(); i++) {
            if (i)
                line += ';';
            line += names[stack[i]];
        }
        if (!seen.insert(line).second)
            continue;
        line += ' ';
        line += std::to_string(1 + random.below(random.below(10) == 0 ? 1000 : 50));
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
        previous = stack;
    }
    return 0;
}
