// User-space symbolization against a fixture program with known code: a C
// always_inline function, C++ namespaced code, a shared library, the vDSO.
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/process.h"
#include "symbols/demangle.h"
#include "symbols/elf_file.h"
#include "symbols/perf_map.h"
#include "symbols/process_maps.h"
#include "symbols/symbolizer.h"

using bpfscope::StackFrame;
using bpfscope::symbols::ElfFile;
using bpfscope::symbols::Symbolizer;

namespace {

struct RecordedPc {
    uint64_t pc = 0;
    int line = 0;
    int call_line = 0;
};

// The fixture running as a child: what it printed, and its pid until it exits.
class Fixture {
  public:
    explicit Fixture(const std::string& path = bpfscope::test::bin("symbols_fixture"),
                     const char* option = nullptr, const char* plugin = nullptr) {
        int to_child[2], from_child[2];
        if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        pid_ = fork();
        if (pid_ == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            execl(path.c_str(), path.c_str(), option != nullptr ? option : "--", plugin, nullptr);
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        stdin_ = to_child[1];
        out_ = fdopen(from_child[0], "r");
        read_until("ready");
    }
    // Sends a command line ("load") and reads what it prints up to `key`.
    void command(const std::string& line, const std::string& key) {
        std::string text = line + "\n";
        if (write(stdin_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            throw std::runtime_error("fixture stdin closed");
        }
        read_until(key);
    }
    ~Fixture() {
        if (pid_ > 0) {
            exit_and_wait();  // closing its stdin ends it, and it removes its perf map
        }
    }
    pid_t pid() const { return pid_; }
    // Closes its stdin (it exits) and reaps it: its /proc entry is gone after this.
    int exit_and_wait() {
        if (out_ != nullptr) {
            std::fclose(out_);
            out_ = nullptr;
        }
        if (stdin_ >= 0) {
            close(stdin_);
            stdin_ = -1;
        }
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }
    const RecordedPc& at(const std::string& key) const {
        auto found = pcs_.find(key);
        if (found == pcs_.end()) {
            throw std::runtime_error("fixture did not print " + key +
                                     " (is build/bin/symbols_fixture built?)");
        }
        return found->second;
    }

  private:
    // Records "<key> <hex pc> <line> <call line>" lines until the line starting `last`.
    void read_until(const std::string& last) {
        char buffer[256];
        while (out_ != nullptr && std::fgets(buffer, sizeof buffer, out_) != nullptr) {
            std::istringstream line(buffer);
            std::string key;
            RecordedPc recorded;
            line >> key;
            if (key == "ready") {
                return;
            }
            line >> std::hex >> recorded.pc >> std::dec >> recorded.line >> recorded.call_line;
            pcs_[key] = recorded;
            if (key == last) {
                return;
            }
        }
    }

    pid_t pid_ = -1;
    int stdin_ = -1;
    FILE* out_ = nullptr;
    std::map<std::string, RecordedPc> pcs_;
};

std::vector<std::string> names(const std::vector<StackFrame>& frames) {
    std::vector<std::string> out;
    for (const StackFrame& frame : frames) {
        out.push_back(frame.name);
    }
    return out;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The symbol value `nm` prints for `symbol` in `path` (an independent reading of the
// symbol table).
uint64_t nm_address(const std::string& path, const std::string& symbol) {
    auto result = bpfscope::test::run_process({"nm", path});
    std::istringstream lines(result.out);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string address, type, name;
        if (fields >> address >> type >> name && name == symbol) {
            return std::stoull(address, nullptr, 16);
        }
    }
    throw std::runtime_error("nm " + path + ": no symbol " + symbol);
}

// Checks the frames for the C fixture's inlined instruction: c_outer with c_scale
// inlined into it, at the recorded lines.
void expect_c_inline_frames(const std::vector<StackFrame>& frames, const RecordedPc& recorded,
                            uint64_t address) {
    ASSERT_EQ(names(frames), (std::vector<std::string>{"c_outer", "c_scale"}));
    EXPECT_FALSE(frames[0].inlined);
    EXPECT_TRUE(frames[1].inlined);
    EXPECT_TRUE(ends_with(frames[1].file, "symbols_fixture_c.c")) << frames[1].file;
    EXPECT_EQ(frames[1].line, recorded.line);
    EXPECT_TRUE(ends_with(frames[0].file, "symbols_fixture_c.c")) << frames[0].file;
    EXPECT_EQ(frames[0].line, recorded.call_line);
    for (const StackFrame& frame : frames) {
        EXPECT_EQ(frame.address, address);
        EXPECT_EQ(frame.kind, StackFrame::Kind::kUser);
        EXPECT_TRUE(ends_with(frame.module, "/symbols_fixture")) << frame.module;
    }
}

}  // namespace

TEST(SymbolsProcessMaps, ParsesFileAnonymousAndDeletedLines) {
    auto file = bpfscope::symbols::parse_maps_line(
        "55d0c0a00000-55d0c0a21000 r-xp 00002000 fd:01 1234567    /usr/bin/my tool\n");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->start, 0x55d0c0a00000u);
    EXPECT_EQ(file->end, 0x55d0c0a21000u);
    EXPECT_EQ(file->offset, 0x2000u);
    EXPECT_EQ(file->dev_major, 0xfdu);
    EXPECT_EQ(file->dev_minor, 1u);
    EXPECT_EQ(file->inode, 1234567u);
    EXPECT_TRUE(file->executable);
    EXPECT_FALSE(file->writable);
    EXPECT_EQ(file->path, "/usr/bin/my tool");
    EXPECT_TRUE(file->is_file());
    EXPECT_FALSE(file->deleted);

    auto deleted = bpfscope::symbols::parse_maps_line(
        "7f0000000000-7f0000001000 r-xp 00000000 08:02 42 /tmp/a.out (deleted)");
    ASSERT_TRUE(deleted);
    EXPECT_TRUE(deleted->deleted);
    EXPECT_EQ(deleted->path, "/tmp/a.out");

    auto anonymous = bpfscope::symbols::parse_maps_line("7ffd1000-7ffd3000 rw-p 00000000 00:00 0");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->path, "");
    EXPECT_FALSE(anonymous->is_file());

    EXPECT_FALSE(bpfscope::symbols::parse_maps_line("not a maps line"));
}

TEST(SymbolsDemangle, DemanglesCxxAndKeepsCNames) {
    EXPECT_EQ(bpfscope::symbols::demangle("_ZNK4demo6Widget7computeEi"),
              "demo::Widget::compute(int) const");
    EXPECT_EQ(bpfscope::symbols::demangle("c_outer"), "c_outer");
    EXPECT_EQ(bpfscope::symbols::demangle("_Znot_valid"), "_Znot_valid");
}

TEST(SymbolsElfFile, ResolvesSymbolTableAddressesDirectly) {
    const std::string path = bpfscope::test::bin("symbols_fixture");
    ElfFile::Options options;
    options.source_lines = true;
    auto elf = ElfFile::open_path(path, options);
    ASSERT_TRUE(elf);
    EXPECT_TRUE(elf->has_dwarf());
    EXPECT_EQ(elf->build_id().size(), 40u);  // sha1 build-id from the linker

    uint64_t free_function = nm_address(path, "_ZN4demo13free_functionEi");
    auto frames = elf->frames(free_function + 1);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"demo::free_function(int)"}));
    EXPECT_EQ(frames[0].module, path);

    uint64_t compute = nm_address(path, "_ZNK4demo6Widget7computeEi");
    frames = elf->frames(compute);
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames[0].name, "demo::Widget::compute(int) const");

    // Far past the end of the text: no symbol covers it.
    frames = elf->frames(0x7fff0000);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"[unknown]"}));
    EXPECT_EQ(frames[0].module, path);
}

TEST(SymbolsElfFile, NotElfOrMissingThrowsNamingTheFile) {
    // A text file is no ELF; a missing file cannot be opened. Both say which file.
    const std::string text = std::string(BPFSCOPE_SOURCE_DIR) + "/README.md";
    try {
        (void)ElfFile::open_path(text, {});
        ADD_FAILURE() << "opened a text file as ELF";
    } catch (const bpfscope::symbols::ElfError& error) {
        EXPECT_NE(std::string(error.what()).find("README.md"), std::string::npos) << error.what();
    }
    EXPECT_THROW((void)ElfFile::open_path("/nonexistent/file", {}), bpfscope::UserError);
}

TEST(SymbolsUser, LiveProcessInlinedFramesAndCxxNames) {
    Fixture fixture;
    Symbolizer symbolizer(Symbolizer::Options{.source_lines = true});
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));

    const RecordedPc& c_inline = fixture.at("c_inline");
    uint64_t leaf[] = {c_inline.pc};
    expect_c_inline_frames(symbolizer.user_frames(fixture.pid(), leaf), c_inline, c_inline.pc);

    // The C++ method with a namespaced always_inline function inlined into it.
    const RecordedPc& cpp_inline = fixture.at("cpp_inline");
    uint64_t cpp_leaf[] = {cpp_inline.pc};
    auto frames = symbolizer.user_frames(fixture.pid(), cpp_leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"demo::Widget::compute(int) const",
                                                       "demo::detail::twice(int, int)"}));
    EXPECT_TRUE(frames[1].inlined);
    EXPECT_EQ(frames[1].line, cpp_inline.line);
    EXPECT_EQ(frames[0].line, cpp_inline.call_line);
    EXPECT_TRUE(ends_with(frames[0].file, "symbols_fixture_main.cpp")) << frames[0].file;

    const RecordedPc& method = fixture.at("cpp_method");
    uint64_t method_leaf[] = {method.pc};
    frames = symbolizer.user_frames(fixture.pid(), method_leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"demo::Widget::compute(int) const"}));
    EXPECT_EQ(frames[0].line, method.line);
}

TEST(SymbolsUser, SharedLibraryLoadBias) {
    Fixture fixture;
    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    uint64_t leaf[] = {fixture.at("lib").pc};
    auto frames = symbolizer.user_frames(fixture.pid(), leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"fixture_lib_function"}));
    EXPECT_TRUE(ends_with(frames[0].module, "/libsymbols_fixture_lib.so")) << frames[0].module;
    // Without source_lines no file/line is filled in.
    EXPECT_EQ(frames[0].file, "");
    EXPECT_EQ(frames[0].line, 0);
}

TEST(SymbolsUser, StackIsRootFirstAndReturnAddressesLookUpTheCall) {
    Fixture fixture;
    Symbolizer symbolizer(Symbolizer::Options{.source_lines = true});
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    const RecordedPc& c_inline = fixture.at("c_inline");
    const RecordedPc& lib = fixture.at("lib");
    // Leaf first: lib function (leaf, exact), then a "return address" one byte after
    // the inlined instruction, then a zero that ends the trace.
    uint64_t stack[] = {lib.pc, c_inline.pc + 1, 0, 0x1234};
    auto frames = symbolizer.user_frames(fixture.pid(), stack);
    ASSERT_EQ(names(frames),
              (std::vector<std::string>{"c_outer", "c_scale", "fixture_lib_function"}));
    EXPECT_EQ(frames[0].address, c_inline.pc + 1);
    EXPECT_EQ(frames[1].line, c_inline.line);
    EXPECT_EQ(frames[2].address, lib.pc);
    EXPECT_EQ(symbolizer.stats().frames, 2u);
    EXPECT_EQ(symbolizer.stats().unknown_frames, 0u);
}

TEST(SymbolsUser, SymbolsSurviveProcessExit) {
    Fixture fixture;
    const pid_t pid = fixture.pid();
    const RecordedPc c_inline = fixture.at("c_inline");
    const RecordedPc cpp_inline = fixture.at("cpp_inline");
    Symbolizer symbolizer(Symbolizer::Options{.source_lines = true});
    ASSERT_TRUE(symbolizer.observe_process(pid));  // only observed while alive

    int status = fixture.exit_and_wait();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ASSERT_NE(access(("/proc/" + std::to_string(pid)).c_str(), F_OK), 0) << "pid still exists";

    uint64_t leaf[] = {c_inline.pc};
    expect_c_inline_frames(symbolizer.user_frames(pid, leaf), c_inline, c_inline.pc);
    uint64_t cpp_leaf[] = {cpp_inline.pc};
    auto frames = symbolizer.user_frames(pid, cpp_leaf);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[1].name, "demo::detail::twice(int, int)");
    EXPECT_EQ(symbolizer.stats().processes_gone_unobserved, 0u);
    EXPECT_EQ(symbolizer.stats().unknown_frames, 0u);
}

TEST(SymbolsUser, UnobservedExitedProcessIsCountedAndUnknown) {
    Fixture fixture;
    const pid_t pid = fixture.pid();
    const RecordedPc c_inline = fixture.at("c_inline");
    fixture.exit_and_wait();
    Symbolizer symbolizer;
    uint64_t leaf[] = {c_inline.pc};
    auto frames = symbolizer.user_frames(pid, leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"[unknown]"}));
    symbolizer.user_frames(pid, leaf);
    EXPECT_EQ(symbolizer.stats().processes_gone_unobserved, 1u);
    EXPECT_EQ(symbolizer.stats().unknown_frames, 2u);
}

TEST(SymbolsUser, AddressOutsideEveryMappingIsUnknown) {
    Fixture fixture;
    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    uint64_t leaf[] = {0x10};  // the zero page is never mapped
    auto frames = symbolizer.user_frames(fixture.pid(), leaf);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].name, "[unknown]");
    EXPECT_EQ(frames[0].module, "");
    EXPECT_EQ(frames[0].address, 0x10u);
    EXPECT_EQ(symbolizer.stats().unknown_frames, 1u);
    EXPECT_EQ(symbolizer.stats().frames, 1u);
}

TEST(SymbolsUser, ElfFilesAreSharedBetweenProcesses) {
    Fixture first, second;
    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(first.pid()));
    uint64_t loaded_after_first = symbolizer.stats().elf_files_loaded;
    ASSERT_TRUE(symbolizer.observe_process(second.pid()));
    EXPECT_GE(loaded_after_first, 3u);  // fixture, its library, libc, ...
    EXPECT_EQ(symbolizer.stats().elf_files_loaded, loaded_after_first);
    EXPECT_EQ(symbolizer.stats().processes_observed, 2u);
}

namespace {

// The address of a function in this process's vDSO, read from its dynamic symbol
// table with plain libelf.
uint64_t vdso_function_address(const std::string& wanted) {
    auto* base = reinterpret_cast<char*>(getauxval(AT_SYSINFO_EHDR));
    if (base == nullptr) {
        throw std::runtime_error("no AT_SYSINFO_EHDR: this process has no vDSO");
    }
    elf_version(EV_CURRENT);
    Elf* elf = elf_memory(base, 64 * 1024);
    Elf_Scn* section = nullptr;
    uint64_t found = 0;
    while ((section = elf_nextscn(elf, section)) != nullptr) {
        GElf_Shdr header;
        gelf_getshdr(section, &header);
        if (header.sh_type != SHT_DYNSYM) {
            continue;
        }
        Elf_Data* data = elf_getdata(section, nullptr);
        for (size_t i = 0; i < header.sh_size / header.sh_entsize; ++i) {
            GElf_Sym symbol;
            gelf_getsym(data, static_cast<int>(i), &symbol);
            if (wanted == elf_strptr(elf, header.sh_link, symbol.st_name)) {
                found = reinterpret_cast<uint64_t>(base) + symbol.st_value;
            }
        }
    }
    elf_end(elf);
    if (found == 0) {
        throw std::runtime_error("vDSO has no " + wanted);
    }
    return found;
}

}  // namespace

TEST(SymbolsUser, VdsoFunctionsAreNamed) {
    uint64_t address = vdso_function_address("__vdso_clock_gettime");
    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(static_cast<uint32_t>(getpid())));
    uint64_t leaf[] = {address + 4};
    auto frames = symbolizer.user_frames(static_cast<uint32_t>(getpid()), leaf);
    ASSERT_FALSE(frames.empty());
    // clock_gettime is an alias of __vdso_clock_gettime; either name is right.
    EXPECT_TRUE(frames.back().name == "__vdso_clock_gettime" ||
                frames.back().name == "clock_gettime")
        << frames.back().name;
    EXPECT_EQ(frames.back().module, "[vdso]");
}

namespace {

// A fresh temporary directory, removed with its files at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string pattern = ::testing::TempDir() + "bpfscope_symbols_XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() { bpfscope::test::run_process({"rm", "-rf", path_}); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

void run_checked(const std::vector<std::string>& argv) {
    auto result = bpfscope::test::run_process(argv);
    if (result.exit_code != 0) {
        std::string command;
        for (const auto& arg : argv) {
            command += arg + " ";
        }
        throw std::runtime_error(command + "failed: " + result.err);
    }
}

}  // namespace

// A stripped executable (no .symtab, no DWARF) whose debug file is found through
// .gnu_debuglink next to it: names and inlined frames come from the debug file.
TEST(SymbolsDebugFiles, GnuDebuglinkNextToTheFile) {
    const std::string original = bpfscope::test::bin("symbols_fixture");
    TempDir dir;
    const std::string debug = dir.path() + "/symbols_fixture.debug";
    const std::string linked = dir.path() + "/fixture_linked";
    const std::string bare = dir.path() + "/fixture_bare";
    run_checked({"objcopy", "--only-keep-debug", original, debug});
    run_checked({"objcopy", "--strip-all", original, bare});
    run_checked({"objcopy", "--strip-all", "--add-gnu-debuglink=" + debug, original, linked});

    // Without a debug file the stripped executable has no name for its static code.
    const uint64_t compute = nm_address(original, "_ZNK4demo6Widget7computeEi");
    auto bare_elf = ElfFile::open_path(bare, {});
    ASSERT_TRUE(bare_elf);
    EXPECT_EQ(names(bare_elf->frames(compute)), (std::vector<std::string>{"[unknown]"}));
    auto linked_elf = ElfFile::open_path(linked, {});
    ASSERT_TRUE(linked_elf);
    EXPECT_EQ(names(linked_elf->frames(compute)),
              (std::vector<std::string>{"demo::Widget::compute(int) const"}));

    // The same through a running stripped process, with the inlined frame.
    Fixture fixture(linked);
    Symbolizer symbolizer(Symbolizer::Options{.source_lines = true});
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    const RecordedPc& c_inline = fixture.at("c_inline");
    uint64_t leaf[] = {c_inline.pc};
    auto frames = symbolizer.user_frames(fixture.pid(), leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"c_outer", "c_scale"}));
    EXPECT_TRUE(frames[1].inlined);
    EXPECT_EQ(frames[1].line, c_inline.line);
    EXPECT_EQ(frames[0].module, linked);
}

// A stripped executable without debuglink: its debug file is found by build-id under
// <debug directory>/.build-id/xx/yyyy.debug.
TEST(SymbolsDebugFiles, BuildIdDirectory) {
    const std::string original = bpfscope::test::bin("symbols_fixture");
    TempDir dir;
    const std::string bare = dir.path() + "/fixture_bare";
    run_checked({"objcopy", "--strip-all", original, bare});
    auto original_elf = ElfFile::open_path(original, {});
    ASSERT_TRUE(original_elf);
    const std::string build_id = original_elf->build_id();
    ASSERT_EQ(build_id.size(), 40u);
    const std::string debug_root = dir.path() + "/debug";
    const std::string build_id_dir = debug_root + "/.build-id/" + build_id.substr(0, 2);
    run_checked({"mkdir", "-p", build_id_dir});
    run_checked({"objcopy", "--only-keep-debug", original,
                 build_id_dir + "/" + build_id.substr(2) + ".debug"});

    const uint64_t outer = nm_address(original, "c_outer");
    ElfFile::Options options;
    options.debuginfo_path = "/nonexistent-debug-dir";
    auto without = ElfFile::open_path(bare, options);
    ASSERT_TRUE(without);
    EXPECT_EQ(without->frames(outer).front().name, "[unknown]");

    options.debuginfo_path = debug_root;
    auto with = ElfFile::open_path(bare, options);
    ASSERT_TRUE(with);
    EXPECT_TRUE(with->has_dwarf());
    EXPECT_EQ(with->frames(outer).front().name, "c_outer");
}

// The executable is deleted while it runs (a rebuilt binary): it is opened through
// /proc/PID/map_files or /proc/PID/exe, which still reach the deleted inode.
TEST(SymbolsUser, DeletedExecutable) {
    TempDir dir;
    const std::string copy = dir.path() + "/fixture_deleted";
    run_checked({"cp", bpfscope::test::bin("symbols_fixture"), copy});
    Fixture fixture(copy);
    const RecordedPc c_inline = fixture.at("c_inline");
    ASSERT_EQ(unlink(copy.c_str()), 0);
    Symbolizer symbolizer(Symbolizer::Options{.source_lines = true});
    const pid_t pid = fixture.pid();
    ASSERT_TRUE(symbolizer.observe_process(pid));
    fixture.exit_and_wait();
    uint64_t leaf[] = {c_inline.pc};
    auto frames = symbolizer.user_frames(pid, leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"c_outer", "c_scale"}));
    EXPECT_EQ(frames[0].module, copy);
}

// Stack tools symbolize thousands of stacks: libc's symbols (and debug file when
// installed) are loaded once and then served from the cache, with the same
// answers. Counted through the symbolizer's statistics, not timed: a unit test
// makes no wall-clock claims (timings belong to the benchmarks). Prints them.
TEST(SymbolsPerformance, LibraryIsLoadedOnceAndCachedFramesAreStable) {
    Fixture fixture;
    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    auto maps = bpfscope::symbols::read_process_maps(fixture.pid());
    ASSERT_TRUE(maps);
    uint64_t libc_start = 0, libc_end = 0;
    for (const auto& entry : *maps) {
        if (entry.executable && entry.path.find("/libc.so") != std::string::npos) {
            libc_start = entry.start;
            libc_end = entry.end;
        }
    }
    ASSERT_NE(libc_start, 0u) << "fixture maps no libc";
    // 2000 distinct addresses spread over libc's code, as stacks of 8 frames.
    std::vector<uint64_t> addresses;
    const uint64_t stride = (libc_end - libc_start) / 2000;
    for (uint64_t address = libc_start + 1; addresses.size() < 2000; address += stride) {
        addresses.push_back(address);
    }
    constexpr size_t kDepth = 8;
    std::vector<std::string> first_names;
    auto symbolize_all = [&] {
        std::vector<std::string> all;
        for (size_t i = 0; i + kDepth <= addresses.size(); i += kDepth) {
            for (const auto& frame : symbolizer.user_frames(fixture.pid(), {&addresses[i], kDepth}))
                all.push_back(frame.name);
        }
        return all;
    };
    using Clock = std::chrono::steady_clock;
    auto microseconds_per_address = [&](Clock::time_point start, int rounds) {
        return std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
               (rounds * static_cast<double>(addresses.size()));
    };
    auto start = Clock::now();
    first_names = symbolize_all();  // loads libc's symbols and debug file
    double first = microseconds_per_address(start, 1);
    const uint64_t loaded_after_first = symbolizer.stats().elf_files_loaded;
    const uint64_t observed_after_first = symbolizer.stats().processes_observed;
    const uint64_t unknown_first = symbolizer.stats().unknown_frames;
    EXPECT_GE(loaded_after_first, 1u) << "libc was never loaded";
    EXPECT_GE(first_names.size(), addresses.size());
    EXPECT_LT(unknown_first, addresses.size() / 10);  // PLT stubs and padding only

    start = Clock::now();
    for (int round = 0; round < 20; ++round) {
        auto again = symbolize_all();
        ASSERT_EQ(again, first_names) << "round " << round << " answered differently";
    }
    double cached = microseconds_per_address(start, 20);
    // Every address again, no maps read again, no file loaded again, no new unknowns.
    EXPECT_EQ(symbolizer.stats().processes_observed, observed_after_first);
    EXPECT_EQ(symbolizer.stats().elf_files_loaded, loaded_after_first);
    EXPECT_EQ(symbolizer.stats().unknown_frames, unknown_first * 21);
    EXPECT_EQ(symbolizer.stats().frames, 21 * addresses.size());
    std::printf(
        "symbolize libc: first pass %.1f us/address, cached %.3f us/address "
        "(informational)\n",
        first, cached);
}

TEST(SymbolsPerfMap, ParsesHexWithAndWithoutPrefixAndLatestWins) {
    auto map = bpfscope::symbols::PerfMap::parse(
        "1000 10 first\n"
        "0x2000 0x20 second name with spaces\r\n"
        "garbage line\n"
        "1000 10 first_regenerated\n");
    EXPECT_EQ(map.size(), 3u);
    ASSERT_NE(map.find(0x100f), nullptr);
    EXPECT_EQ(map.find(0x100f)->name, "first_regenerated");
    EXPECT_EQ(map.find(0x1010), nullptr);
    ASSERT_NE(map.find(0x201f), nullptr);
    EXPECT_EQ(map.find(0x201f)->name, "second name with spaces");
    EXPECT_EQ(map.find(0xfff), nullptr);
}

// Code in anonymous executable memory, named by the runtime in /tmp/perf-PID.map.
TEST(SymbolsPerfMap, JitFramesNamedFromThePerfMap) {
    Fixture fixture(bpfscope::test::bin("symbols_fixture"), "--jit");
    const uint64_t jit = fixture.at("jit").pc;
    Symbolizer symbolizer;
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    const uint64_t stack[] = {jit + 0x104, jit + 0x11};  // leaf, then a return address
    auto frames = symbolizer.user_frames(fixture.pid(), stack);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"jit_loop_body", "jit::compile(int)"}));
    EXPECT_EQ(frames[0].module, "/tmp/perf-" + std::to_string(fixture.pid()) + ".map");
    const uint64_t gap[] = {jit + 0x80};  // in the JIT mapping, named by no entry
    frames = symbolizer.user_frames(fixture.pid(), gap);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"[unknown]"}));
    EXPECT_EQ(frames[0].module, "");
}

TEST(SymbolsUser, EmptyUserStackIsNotAProcessLookup) {
    Symbolizer symbolizer;
    const uint64_t none[] = {0, 0};
    EXPECT_TRUE(symbolizer.user_frames(0, none).empty());  // idle: no /proc/0
    EXPECT_TRUE(symbolizer.user_frames(0, {}).empty());
    EXPECT_EQ(symbolizer.stats().processes_gone_unobserved, 0u);
    EXPECT_EQ(symbolizer.stats().frames, 0u);
}

// A library loaded (dlopen) after the process was observed: the address misses every
// known mapping, the maps are read again and the new library is found.
TEST(SymbolsUser, LibraryLoadedAfterObservation) {
    Fixture fixture(bpfscope::test::bin("symbols_fixture"), "--", SYMBOLS_FIXTURE_PLUGIN);
    Symbolizer::Options options;
    options.maps_refresh_ms = 0;
    Symbolizer symbolizer(options);
    ASSERT_TRUE(symbolizer.observe_process(fixture.pid()));
    fixture.command("load", "plugin");
    const RecordedPc& plugin = fixture.at("plugin");
    ASSERT_NE(plugin.pc, 0u) << "fixture could not dlopen " << SYMBOLS_FIXTURE_PLUGIN;
    uint64_t leaf[] = {plugin.pc};
    auto frames = symbolizer.user_frames(fixture.pid(), leaf);
    ASSERT_EQ(names(frames), (std::vector<std::string>{"fixture_plugin_function"}));
    EXPECT_TRUE(ends_with(frames[0].module, "/libsymbols_fixture_plugin.so")) << frames[0].module;
    // Earlier mappings are still there.
    uint64_t old_leaf[] = {fixture.at("lib").pc};
    EXPECT_EQ(names(symbolizer.user_frames(fixture.pid(), old_leaf)),
              (std::vector<std::string>{"fixture_lib_function"}));
}
