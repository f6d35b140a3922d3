#include "support/preconditions.h"

#include <cstdlib>
#include <sstream>

namespace bpfscope::test {

bool skips_forbidden() {
    const char* value = std::getenv("BPFSCOPE_FORBID_SKIPS");
    return value && *value && std::string(value) != "0";
}

bool have_program(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return access(program.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::stringstream directories(path ? path
                                       : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        if (!directory.empty() && access((directory + "/" + program).c_str(), X_OK) == 0)
            return true;
    }
    return false;
}

}  // namespace bpfscope::test
