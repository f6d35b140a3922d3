#pragma once
// Walking a BPF hash map from user space.
#include <bpf/bpf.h>

namespace bpfscope {

// Calls fn(key, value) for every entry of a BPF hash map (entries deleted
// meanwhile are skipped).
template <typename Key, typename Value, typename Fn>
void for_each_map_entry(int map_fd, Fn&& fn) {
    Key key{}, next{};
    Key* previous = nullptr;
    while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
        key = next;
        previous = &key;
        Value value{};
        if (bpf_map_lookup_elem(map_fd, &key, &value) == 0)
            fn(key, value);
    }
}

}  // namespace bpfscope
