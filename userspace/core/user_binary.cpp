#include "core/user_binary.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

}  // namespace

std::string resolve_user_binary(const std::string& path_or_library, uint32_t pid) {
    if (path_or_library.find('/') != std::string::npos) {
        if (!is_regular_file(path_or_library))
            throw UserError("user target binary '" + path_or_library +
                            "' does not exist or is not a file");
        return std::filesystem::absolute(path_or_library).string();
    }
    std::string stem = library_stem(path_or_library);
    if (pid != 0) {
        std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
        if (!maps)
            throw UserError("cannot read /proc/" + std::to_string(pid) + "/maps: is process " +
                            std::to_string(pid) + " running?");
        std::string line;
        while (std::getline(maps, line)) {
            auto slash = line.find('/');
            if (slash == std::string::npos)
                continue;
            std::string path = line.substr(slash);
            std::string file_name = std::filesystem::path(path).filename().string();
            if (file_name_matches(file_name, stem))
                return "/proc/" + std::to_string(pid) + "/root" + path;
        }
        throw UserError("library '" + path_or_library + "' is not mapped by process " +
                        std::to_string(pid));
    }
    for (const char* dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                            "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"}) {
        std::error_code error;
        std::vector<std::string> matches;
        for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
            std::string file_name = entry.path().filename().string();
            if (file_name_matches(file_name, stem) && is_regular_file(entry.path().string()))
                matches.push_back(entry.path().string());
        }
        if (!matches.empty()) {
            std::sort(matches.begin(), matches.end());
            return matches.front();
        }
    }
    throw UserError("library '" + path_or_library +
                    "' not found in the library directories: give its full path, or -p PID");
}

}  // namespace bpfscope
