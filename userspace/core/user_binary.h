#pragma once
// Finds the file behind a user target's PATH or LIB: "/usr/bin/x" as is,
// "c" or "libc" through the process's mappings (-p) or the library dirs.
#include <cstdint>
#include <string>

namespace bpfscope {

// Returns an absolute path; throws UserError naming what was tried.
std::string resolve_user_binary(const std::string& path_or_library, uint32_t pid);

}  // namespace bpfscope
