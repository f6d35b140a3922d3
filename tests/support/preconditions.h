#pragma once
// Preconditions a test needs but cannot create (root, an installed reference
// tool). A missing one skips the test with its reason. Where every
// precondition is installed (CI: .ci/run sets BPFSCOPE_FORBID_SKIPS=1) a skip
// could only hide a regression, so there the same check fails the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace bpfscope::test {

// True when BPFSCOPE_FORBID_SKIPS is set to a non-empty value other than "0".
bool skips_forbidden();

// True when `program` is found in PATH (or is an executable path).
bool have_program(const std::string& program);

inline bool is_root() {
    return geteuid() == 0;
}

}  // namespace bpfscope::test

// Skips (or, with BPFSCOPE_FORBID_SKIPS, fails) the current test when
// `condition` is false. Use in the test body or in SetUp().
#define BPFSCOPE_REQUIRE(condition, reason)                               \
    do {                                                                  \
        if (!(condition)) {                                               \
            if (::bpfscope::test::skips_forbidden()) {                    \
                FAIL() << "precondition missing and skips are forbidden " \
                          "(BPFSCOPE_FORBID_SKIPS): "                     \
                       << (reason);                                       \
            } else {                                                      \
                GTEST_SKIP() << (reason);                                 \
            }                                                             \
        }                                                                 \
    } while (0)

#define BPFSCOPE_REQUIRE_ROOT(why) \
    BPFSCOPE_REQUIRE(::bpfscope::test::is_root(), std::string("needs root: ") + (why))

#define BPFSCOPE_REQUIRE_PROGRAM(program)        \
    BPFSCOPE_REQUIRE(                            \
        ::bpfscope::test::have_program(program), \
        std::string("needs '") + (program) + "' (scripts/install-deps.sh installs it)")
