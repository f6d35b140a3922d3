#pragma once
// A failure the user can act on. Drivers throw it; main() prints its message
// once on stderr ("bpfscope <tool>: <message>") and exits with exit_code.
#include <stdexcept>
#include <string>

namespace bpfscope {

class UserError : public std::runtime_error {
  public:
    explicit UserError(const std::string& message, int exit_code = 1)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

  private:
    int exit_code_;
};

// "<what>: <strerror(err)>", for errno-style failures.
std::string errno_message(const std::string& what, int err);

}  // namespace bpfscope
