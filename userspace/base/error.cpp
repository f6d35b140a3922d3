#include "base/error.h"

#include <cstring>

namespace bpfscope {

std::string errno_message(const std::string& what, int err) {
    return what + ": " + std::strerror(err < 0 ? -err : err);
}

}  // namespace bpfscope
