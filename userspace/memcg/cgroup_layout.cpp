#include "memcg/cgroup_layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "base/error.h"

namespace bpfscope::memcg {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string decode_octal_escapes(std::string_view field) {
    auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    out.reserve(field.size());
    for (size_t i = 0; i < field.size(); i++) {
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
            is_octal(field[i + 2]) && is_octal(field[i + 3])) {
            out.push_back(
                char((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
            i += 3;
            continue;
        }
        out.push_back(field[i]);
    }
    return out;
}

bool has_option(std::string_view options, std::string_view wanted) {
    size_t start = 0;
    while (start <= options.size()) {
        size_t comma = options.find(',', start);
        std::string_view item = options.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (item == wanted)
            return true;
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return false;
}

bool has_word(std::string_view text, std::string_view wanted) {
    std::istringstream in{std::string(text)};
    std::string word;
    while (in >> word)
        if (word == wanted)
            return true;
    return false;
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountEntry> mounts;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::vector<std::string> words;
        std::string word;
        while (fields >> word) words.push_back(word);
        // id parent major:minor root mount_point options [optional...] - type source super
        size_t dash = 0;
        for (size_t i = 6; i < words.size(); i++) {
            if (words[i] == "-") {
                dash = i;
                break;
            }
        }
        if (words.size() < 7 || dash == 0 || dash + 3 > words.size())
            continue;
        MountEntry entry;
        entry.root = decode_octal_escapes(words[3]);
        entry.mount_point = decode_octal_escapes(words[4]);
        entry.fs_type = words[dash + 1];
        entry.super_options = dash + 3 < words.size() ? words[dash + 3] : "";
        mounts.push_back(std::move(entry));
    }
    return mounts;
}

std::optional<MemoryController> choose_memory_controller(
    const std::vector<MountEntry>& mounts,
    const std::function<std::string(const std::string&)>& root_controllers, std::string* why_not) {
    std::vector<std::string> v2_without_memory;
    // Full mounts ("/") first: a bind mount of a sub-cgroup (containers) has a
    // root of its own and still works, but only as a fallback.
    for (bool want_full_mount : {true, false}) {
        for (const auto& mount : mounts) {
            if (mount.fs_type != "cgroup2" || (mount.root == "/") != want_full_mount)
                continue;
            if (has_word(root_controllers(mount.mount_point), "memory"))
                return MemoryController{CgroupVersion::kV2, mount.mount_point};
            if (want_full_mount)
                v2_without_memory.push_back(mount.mount_point);
        }
    }
    for (bool want_full_mount : {true, false}) {
        for (const auto& mount : mounts) {
            if (mount.fs_type != "cgroup" || (mount.root == "/") != want_full_mount)
                continue;
            if (has_option(mount.super_options, "memory"))
                return MemoryController{CgroupVersion::kV1, mount.mount_point};
        }
    }
    if (why_not) {
        std::string message = "no memory controller mounted: no cgroup v1 mount with 'memory'";
        if (v2_without_memory.empty()) {
            message += " and no cgroup2 mount";
        } else {
            message += ", and cgroup2 at " + v2_without_memory.front() +
                       " does not list 'memory' in cgroup.controllers";
        }
        message += " (is CONFIG_MEMCG set, or memory disabled with cgroup_disable=memory?)";
        *why_not = message;
    }
    return std::nullopt;
}

MemoryController locate_memory_controller() {
    std::string why_not;
    auto controller = choose_memory_controller(
        parse_mountinfo(read_text_file("/proc/self/mountinfo")),
        [](const std::string& mount_point) {
            return try_read_text_file(mount_point + "/cgroup.controllers").value_or("");
        },
        &why_not);
    if (!controller)
        throw UserError(why_not);
    return *controller;
}

std::optional<std::string> try_read_text_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    std::string text;
    char buffer[16384];
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0)
            break;
        text.append(buffer, size_t(n));
    }
    ::close(fd);
    return text;
}

std::string read_text_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw UserError(errno_message("cannot open " + path, errno));
    ::close(fd);
    auto text = try_read_text_file(path);
    if (!text)
        throw UserError(errno_message("cannot read " + path, errno));
    return *text;
}

void write_text_file(const std::string& path, std::string_view text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        throw UserError(errno_message("cannot open " + path + " for writing", errno));
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = errno;
    ::close(fd);
    if (n < 0)
        throw UserError(errno_message("cannot write '" + std::string(text) + "' to " + path, err));
}

}  // namespace bpfscope::memcg
