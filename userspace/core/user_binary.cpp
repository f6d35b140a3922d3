#include "core/user_binary.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "base/error.h"

namespace bpfscope {

namespace {

bool is_regular_file(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// "c" -> "libc", "libc" -> "libc"; matched against "libc.so.6", "libc-2.36.so".
std::string library_stem(const std::string& name) {
    return name.rfind("lib", 0) == 0 ? name : "lib" + name;
}

bool file_name_matches(const std::string& file_name, const std::string& stem) {
    return file_name.rfind(stem + ".so", 0) == 0 || file_name.rfind(stem + "-", 0) == 0;
}

// uprobes need an ELF object: "libc.so" next to "libc.so.6" is often a linker
// script (text), which libbpf rejects with an unhelpful error code.
bool is_elf(const std::string& path) {
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
    return magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// Among files matching a library stem, the one the dynamic linker loads: the
// versioned "libc.so.6" before the development name "libc.so", then "libc-2.36.so".
int match_rank(const std::string& file_name, const std::string& stem) {
    if (file_name.rfind(stem + ".so.", 0) == 0)
        return 0;
    return file_name == stem + ".so" ? 1 : 2;
}

// The mapped file of `pid` ("self" for us) whose name matches the stem.
std::optional<std::string> mapped_library(const std::string& pid, const std::string& stem) {
    std::ifstream maps("/proc/" + pid + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
        auto slash = line.find('/');
        if (slash == std::string::npos)
            continue;
        std::string path = line.substr(slash);
        if (file_name_matches(std::filesystem::path(path).filename().string(), stem))
            return path;
    }
    return std::nullopt;
}

}  // namespace

std::string resolve_user_binary(const std::string& path_or_library, uint32_t pid) {
    if (path_or_library.find('/') != std::string::npos) {
        if (!is_regular_file(path_or_library))
            throw UserError("user target binary '" + path_or_library +
                            "' does not exist or is not a file");
        if (!is_elf(path_or_library))
            throw UserError("user target binary '" + path_or_library +
                            "' is not an ELF file: give an executable or shared library");
        return std::filesystem::absolute(path_or_library).string();
    }
    std::string stem = library_stem(path_or_library);
    if (pid != 0) {
        std::string pid_text = std::to_string(pid);
        if (!is_regular_file("/proc/" + pid_text + "/maps"))
            throw UserError("cannot read /proc/" + pid_text + "/maps: is process " + pid_text +
                            " running?");
        if (auto path = mapped_library(pid_text, stem))
            return "/proc/" + pid_text + "/root" + *path;
        throw UserError("library '" + path_or_library + "' is not mapped by process " + pid_text);
    }
    // The system's library is the one the dynamic linker gives processes: ours
    // when we use it (libc always), else the best match in the library dirs.
    if (auto path = mapped_library("self", stem))
        return *path;
    for (const char* dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                            "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"}) {
        std::error_code error;
        std::vector<std::pair<int, std::string>> matches;
        for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
            std::string file_name = entry.path().filename().string();
            std::string path = entry.path().string();
            if (file_name_matches(file_name, stem) && is_regular_file(path) && is_elf(path))
                matches.emplace_back(match_rank(file_name, stem), path);
        }
        if (!matches.empty())
            return std::min_element(matches.begin(), matches.end())->second;
    }
    throw UserError("library '" + path_or_library +
                    "' not found in the library directories: give its full path, or -p PID");
}

}  // namespace bpfscope
