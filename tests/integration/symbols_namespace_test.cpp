// Symbolizing a process in another mount namespace (as root): its stripped binary
// and the debug file its .gnu_debuglink names exist only on a tmpfs mounted inside
// that namespace. The symbolizer must reach both through /proc/PID/root while the
// process lives, and still name its frames after it has exited and the namespace
// (with the tmpfs) is gone.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/preconditions.h"
#include "support/process.h"
#include "symbols/symbolizer.h"

using bpfscope::StackFrame;
using bpfscope::symbols::Symbolizer;
using bpfscope::test::bin;
using bpfscope::test::run_process;

namespace {

void run_checked(const std::vector<std::string>& argv) {
    auto result = run_process(argv);
    ASSERT_EQ(result.exit_code, 0) << argv[0] << " failed: " << result.err;
}

}  // namespace

TEST(SymbolsNamespace, ForeignMountNamespaceStrippedBinarySurvivesExit) {
    BPFSCOPE_REQUIRE_ROOT("creates a mount namespace and mounts a tmpfs");
    BPFSCOPE_REQUIRE_PROGRAM("objcopy");
    char staging_template[] = "/tmp/bpfscope_symbols_ns_XXXXXX";
    ASSERT_NE(mkdtemp(staging_template), nullptr);
    const std::string staging = staging_template;
    const std::string inside = staging + "/inside";  // empty here, a tmpfs in the namespace
    ASSERT_EQ(mkdir(inside.c_str(), 0755), 0);
    const std::string original = bin("symbols_fixture");
    run_checked({"objcopy", "--only-keep-debug", original, staging + "/app.debug"});
    run_checked({"objcopy", "--strip-all", "--add-gnu-debuglink=" + staging + "/app.debug",
                 original, staging + "/app"});

    int to_child[2], from_child[2];
    ASSERT_EQ(pipe2(to_child, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(from_child, O_CLOEXEC), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        // unshare(1) without --fork execs in this very process: pid stays the same.
        std::string script = "mount -t tmpfs none " + inside + " && cp " + staging + "/app " +
                             staging + "/app.debug " + inside + "/ && exec " + inside + "/app";
        execlp("unshare", "unshare", "--mount", "--propagation", "private", "sh", "-c",
               script.c_str(), nullptr);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    std::map<std::string, uint64_t> pcs;
    FILE* out = fdopen(from_child[0], "r");
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, out) != nullptr) {
        std::istringstream line(buffer);
        std::string key;
        uint64_t pc = 0;
        line >> key;
        if (key == "ready") {
            break;
        }
        line >> std::hex >> pc;
        pcs[key] = pc;
    }
    std::fclose(out);
    ASSERT_TRUE(pcs.contains("c_inline")) << "fixture did not start in the namespace";
    // Not visible from here: only the namespace has the tmpfs with the binary.
    EXPECT_NE(access((inside + "/app").c_str(), F_OK), 0);

    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(static_cast<uint32_t>(pid)));
    close(to_child[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    run_process({"rm", "-rf", staging});

    uint64_t leaf[] = {pcs["c_inline"]};
    auto frames = symbolizer.user_frames(static_cast<uint32_t>(pid), leaf);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].name, "c_outer");  // only in the debug file's .symtab
    EXPECT_EQ(frames[1].name, "c_scale");  // only in its DWARF
    EXPECT_TRUE(frames[1].inlined);
    EXPECT_EQ(frames[0].module, inside + "/app");  // the path the process saw
    uint64_t cpp_leaf[] = {pcs["cpp_method"]};
    frames = symbolizer.user_frames(static_cast<uint32_t>(pid), cpp_leaf);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].name, "demo::Widget::compute(int) const");
}
