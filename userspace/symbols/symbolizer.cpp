#include "symbols/symbolizer.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "base/logging.h"
#include "symbols/demangle.h"
#include "symbols/elf_file.h"
#include "symbols/kallsyms.h"
#include "symbols/perf_map.h"
#include "symbols/process_maps.h"

namespace bpfscope::symbols {
namespace {

constexpr const char* kUnknown = "[unknown]";
constexpr const char* kVdsoName = "[vdso]";
// Kallsyms has no sizes: an address this far past the nearest symbol is not in it
// (kernel functions are far smaller; this catches gaps and the end of modules).
constexpr uint64_t kMaxKernelSymbolOffset = 1 << 20;

bool is_text_symbol(const KernelSymbol& symbol) {
    char type = symbol.type;
    return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

// Frames of the BPF program that captured the stack, its trampoline or dispatcher.
bool is_tool_frame(const KernelSymbol& symbol) {
    std::string_view name = symbol.name;
    return symbol.module == "bpf" || name.starts_with("bpf_prog_") ||
           name.starts_with("bpf_trampoline_") || name.starts_with("bpf_dispatcher_");
}

// The code that runs a BPF program from a tracepoint, perf event or probe: it is on
// the stack only because a tool is attached.
bool is_tracing_glue(const KernelSymbol& symbol) {
    std::string_view name = symbol.name;
    return name.starts_with("bpf_trace_run") || name.starts_with("__bpf_trace_") ||
           name.starts_with("__traceiter_") || name.starts_with("__bpf_prog_enter") ||
           name.starts_with("__bpf_prog_exit") || name.starts_with("bpf_get_stack") ||
           name.starts_with("__bpf_get_stack") || name.starts_with("bpf_get_task_stack") ||
           name.starts_with("trace_call_bpf") || name.starts_with("perf_trace_run_bpf_submit") ||
           name.starts_with("bpf_overflow_handler") || name.starts_with("__uprobe_perf_func");
}

// Process start time in clock ticks since boot (field 22 of /proc/PID/stat); 0 when
// the process is gone. Tells a reused pid from the process we observed.
uint64_t process_start_time(uint32_t pid) {
    std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat_file, text)) {
        return 0;
    }
    // comm (field 2) may hold spaces and parentheses: count from the last ')'.
    size_t close = text.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    size_t position = close + 2;
    for (int field = 3; field < 22 && position < text.size(); ++field) {
        position = text.find(' ', position);
        if (position == std::string::npos) {
            return 0;
        }
        ++position;
    }
    return std::strtoull(text.c_str() + position, nullptr, 10);
}

// Size of the ELF image at `base` (the vDSO): the end of its section headers or of
// its last loadable segment, whichever is further.
size_t elf_image_size(const unsigned char* base) {
    const auto* header = reinterpret_cast<const Elf64_Ehdr*>(base);
    if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 ||
        header->e_ident[EI_CLASS] != ELFCLASS64) {
        return 0;
    }
    size_t size = header->e_shoff + size_t{header->e_shnum} * header->e_shentsize;
    const auto* program_headers = reinterpret_cast<const Elf64_Phdr*>(base + header->e_phoff);
    for (int i = 0; i < header->e_phnum; ++i) {
        size = std::max<size_t>(size, program_headers[i].p_offset + program_headers[i].p_filesz);
    }
    return size;
}

// Whether pid sees the same mounts as we do (then its paths are our paths).
bool same_mount_namespace(uint32_t pid) {
    static const ino_t own = [] {
        struct stat own_stat {};
        return ::stat("/proc/self/ns/mnt", &own_stat) == 0 ? own_stat.st_ino : ino_t{0};
    }();
    struct stat their_stat {};
    if (own == 0 || ::stat(fmt::format("/proc/{}/ns/mnt", pid).c_str(), &their_stat) != 0) {
        return false;
    }
    return their_stat.st_ino == own;
}

StackFrame unknown_frame(uint64_t address, std::string module, StackFrame::Kind kind) {
    StackFrame frame;
    frame.name = kUnknown;
    frame.module = std::move(module);
    frame.address = address;
    frame.kind = kind;
    return frame;
}

}  // namespace

class Symbolizer::Impl {
  public:
    explicit Impl(Options options) : options_(std::move(options)) {}

    bool observe_process(uint32_t pid);
    void forget_process(uint32_t pid) { processes_.erase(pid); }
    bool refresh_process_now(uint32_t pid) {
        auto it = processes_.find(pid);
        if (it == processes_.end())
            return observe_process(pid);
        it->second.read_at = {};  // past the refresh throttle
        return refresh_process(pid, it->second);
    }
    std::vector<StackFrame> kernel_frames(std::span<const uint64_t> ips);
    std::vector<StackFrame> user_frames(uint32_t pid, std::span<const uint64_t> ips);
    Stats stats() const { return stats_; }

    std::atomic<std::thread::id> owner{};  // see Symbolizer::check_thread

  private:
    struct Mapping {
        uint64_t start = 0;
        uint64_t end = 0;
        uint64_t offset = 0;
        std::shared_ptr<ElfFile> elf;  // null for anonymous memory or a non-ELF file
        std::string module;            // path in the process's view, "[vdso]", "" (anon)
    };
    struct Process {
        std::vector<Mapping> mappings;            // executable mappings, sorted by start
        std::shared_ptr<const PerfMap> perf_map;  // JIT symbols, when the process writes them
        std::string perf_map_path;                // as the process names it: the frames' module
        uint64_t start_time = 0;
        std::chrono::steady_clock::time_point read_at;
    };

    std::optional<Process> read_process(uint32_t pid);
    bool refresh_process(uint32_t pid, Process& process);
    std::shared_ptr<ElfFile> file_for(uint32_t pid, const MapsEntry& entry);
    void read_perf_map(uint32_t pid, Process& process);
    bool jit_frame(const Process& process, uint64_t lookup, uint64_t ip,
                   std::vector<StackFrame>& out);
    std::shared_ptr<ElfFile> vdso_file(uint32_t pid, const MapsEntry& entry);
    const Kallsyms* kallsyms();
    const KernelSymbol* kernel_symbol(uint64_t address);
    static const Mapping* find_mapping(const Process& process, uint64_t address);

    Options options_;
    Stats stats_;
    std::unordered_map<uint32_t, Process> processes_;
    // ELF files by (device, inode) from the maps line; null = not an ELF file. Open
    // files pin their inodes, so an inode number cannot be reused while cached.
    std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<ElfFile>> files_by_inode_;
    // The same file reached through different paths (a container's copy of libc).
    std::unordered_map<std::string, std::shared_ptr<ElfFile>> files_by_build_id_;
    std::shared_ptr<ElfFile> vdso_;
    bool vdso_loaded_ = false;
    std::string vdso_image_;

    std::optional<Kallsyms> own_kallsyms_;
    const Kallsyms* kallsyms_ = nullptr;
    bool kallsyms_loaded_ = false;
    std::unordered_map<uint64_t, const KernelSymbol*> kernel_cache_;
};

bool Symbolizer::Impl::observe_process(uint32_t pid) {
    if (processes_.contains(pid)) {
        return true;
    }
    std::optional<Process> process = read_process(pid);
    if (!process) {
        return false;
    }
    processes_.emplace(pid, std::move(*process));
    ++stats_.processes_observed;
    return true;
}

std::optional<Symbolizer::Impl::Process> Symbolizer::Impl::read_process(uint32_t pid) {
    uint64_t start_time = process_start_time(pid);
    std::optional<std::vector<MapsEntry>> entries = read_process_maps(pid);
    if (!entries) {
        return std::nullopt;
    }
    Process process;
    process.start_time = start_time;
    process.read_at = std::chrono::steady_clock::now();
    for (const MapsEntry& entry : *entries) {
        if (!entry.executable) {
            continue;  // stacks only hold code addresses
        }
        Mapping mapping;
        mapping.start = entry.start;
        mapping.end = entry.end;
        mapping.offset = entry.offset;
        mapping.module = entry.path;
        if (entry.path == kVdsoName) {
            mapping.elf = vdso_file(pid, entry);
        } else if (entry.is_file()) {
            mapping.elf = file_for(pid, entry);
        }
        process.mappings.push_back(std::move(mapping));
    }
    std::sort(process.mappings.begin(), process.mappings.end(),
              [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
    bool anonymous_code =
        std::any_of(process.mappings.begin(), process.mappings.end(), [](const Mapping& mapping) {
            return mapping.module.empty() || mapping.module.starts_with("[anon");
        });
    if (anonymous_code) {
        read_perf_map(pid, process);
    }
    return process;
}

// Re-reads the maps of a live process after an address missed every known mapping
// (a library loaded or the program exec'ed after we first looked). Mappings of the
// new read win; old ones that do not overlap them stay (a library since unloaded may
// still be in stacks captured earlier), unless the pid now belongs to another process.
bool Symbolizer::Impl::refresh_process(uint32_t pid, Process& process) {
    auto now = std::chrono::steady_clock::now();
    if (now - process.read_at < std::chrono::milliseconds(options_.maps_refresh_ms)) {
        return false;
    }
    process.read_at = now;
    std::optional<Process> fresh = read_process(pid);
    if (!fresh) {
        return false;
    }
    // A new process behind the same pid (the pid was reused): nothing old applies.
    if (fresh->start_time != process.start_time) {
        process = std::move(*fresh);
        return true;
    }
    for (Mapping& old : process.mappings) {
        bool overlaps = std::any_of(fresh->mappings.begin(), fresh->mappings.end(),
                                    [&](const Mapping& current) {
                                        return current.start < old.end && old.start < current.end;
                                    });
        if (!overlaps) {
            fresh->mappings.push_back(std::move(old));
        }
    }
    std::sort(fresh->mappings.begin(), fresh->mappings.end(),
              [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
    process = std::move(*fresh);
    return true;
}

// JIT runtimes name their generated code in /tmp/perf-<pid>.map, with the pid and
// /tmp of their own namespaces.
void Symbolizer::Impl::read_perf_map(uint32_t pid, Process& process) {
    uint32_t namespace_pid = pid;
    std::ifstream status(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("NSpid:")) {
            size_t last = line.find_last_of(" \t");
            if (last != std::string::npos) {
                namespace_pid =
                    static_cast<uint32_t>(std::strtoul(line.c_str() + last + 1, nullptr, 10));
            }
            break;
        }
    }
    process.perf_map_path = fmt::format("/tmp/perf-{}.map", namespace_pid);
    if (auto map = PerfMap::read(fmt::format("/proc/{}/root{}", pid, process.perf_map_path))) {
        process.perf_map = std::make_shared<const PerfMap>(std::move(*map));
    }
}

std::shared_ptr<ElfFile> Symbolizer::Impl::file_for(uint32_t pid, const MapsEntry& entry) {
    uint64_t device = (uint64_t{entry.dev_major} << 32) | entry.dev_minor;
    auto key = std::make_pair(device, entry.inode);
    if (auto found = files_by_inode_.find(key); found != files_by_inode_.end()) {
        return found->second;
    }
    const std::string proc = "/proc/" + std::to_string(pid);
    // The path as this process sees it, in its own mount namespace.
    const std::string rooted_path = proc + "/root" + entry.path;
    // map_files is the mapped file itself, even when deleted or replaced since; it
    // needs CAP_SYS_ADMIN. /proc/PID/exe is the same for the main executable, for
    // whoever may ptrace the process. The rooted path works for those too, as long as
    // it still names the mapped inode.
    int fd = ::open(fmt::format("{}/map_files/{:x}-{:x}", proc, entry.start, entry.end).c_str(),
                    O_RDONLY | O_CLOEXEC);
    auto open_checked = [&](const std::string& path) {
        int candidate = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat file_stat {};
        if (candidate >= 0 &&
            (::fstat(candidate, &file_stat) != 0 || file_stat.st_ino != entry.inode)) {
            ::close(candidate);
            candidate = -1;
        }
        return candidate;
    };
    if (fd < 0) {
        fd = open_checked(proc + "/exe");
    }
    if (fd < 0) {
        fd = open_checked(rooted_path);
    }
    if (fd < 0) {
        return nullptr;  // not cached: another process may give access to the same file
    }
    // In our own mount namespace the plain path stays valid after the process exits,
    // so the debug file can be looked up on first use; elsewhere /proc/PID/root goes
    // away with the process: look it up now.
    ElfFile::Options file_options;
    file_options.source_lines = options_.source_lines;
    file_options.debuginfo_path = options_.debuginfo_path;
    bool same_namespace = same_mount_namespace(pid);
    file_options.find_debug_now = !same_namespace;
    std::shared_ptr<ElfFile> file;
    try {
        file = ElfFile::open_fd(fd, same_namespace ? entry.path : rooted_path, entry.path,
                                file_options);
    } catch (const ElfError& error) {
        spdlog::debug("no symbols from {}: {}", entry.path, error.what());
    }
    if (file) {
        ++stats_.elf_files_loaded;
        if (!file->build_id().empty()) {
            auto [slot, inserted] = files_by_build_id_.try_emplace(file->build_id(), file);
            file = slot->second;
        }
    }
    files_by_inode_[key] = file;
    return file;
}

// Every 64-bit process on this kernel maps the same vDSO image as we do: read ours.
std::shared_ptr<ElfFile> Symbolizer::Impl::vdso_file(uint32_t pid, const MapsEntry& entry) {
    if (!vdso_loaded_) {
        vdso_loaded_ = true;
        const auto* base = reinterpret_cast<const unsigned char*>(getauxval(AT_SYSINFO_EHDR));
        size_t size = base != nullptr ? elf_image_size(base) : 0;
        int fd = size > 0 ? memfd_create("vdso", MFD_CLOEXEC) : -1;
        if (fd >= 0) {
            vdso_image_.assign(reinterpret_cast<const char*>(base), size);
            if (::write(fd, base, size) == static_cast<ssize_t>(size)) {
                ElfFile::Options file_options;
                file_options.source_lines = options_.source_lines;
                file_options.debuginfo_path = options_.debuginfo_path;
                try {
                    vdso_ = ElfFile::open_fd(fd, kVdsoName, kVdsoName, file_options);
                    ++stats_.elf_files_loaded;
                } catch (const ElfError& error) {
                    spdlog::debug("no symbols from the vDSO: {}", error.what());
                }
            } else {
                ::close(fd);
            }
        }
    }
    // A process with another vDSO (a 32-bit one) maps a different image: compare the
    // bytes when we may read its memory.
    if (vdso_) {
        int memory = ::open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDONLY | O_CLOEXEC);
        if (memory >= 0) {
            std::string theirs(vdso_image_.size(), '\0');
            ssize_t got =
                ::pread(memory, theirs.data(), theirs.size(), static_cast<off_t>(entry.start));
            ::close(memory);
            if (got == static_cast<ssize_t>(theirs.size()) && theirs != vdso_image_) {
                return nullptr;
            }
        }
    }
    return vdso_;
}

const Symbolizer::Impl::Mapping* Symbolizer::Impl::find_mapping(const Process& process,
                                                                uint64_t address) {
    auto after = std::upper_bound(
        process.mappings.begin(), process.mappings.end(), address,
        [](uint64_t value, const Mapping& mapping) { return value < mapping.start; });
    if (after == process.mappings.begin()) {
        return nullptr;
    }
    const Mapping& mapping = *std::prev(after);
    return address < mapping.end ? &mapping : nullptr;
}

std::vector<StackFrame> Symbolizer::Impl::user_frames(uint32_t pid, std::span<const uint64_t> ips) {
    if (ips.empty() || ips.front() == 0) {
        return {};  // no user stack (kernel thread, idle): nothing to look up or count
    }
    auto found = processes_.find(pid);
    if (found == processes_.end()) {
        if (observe_process(pid)) {
            found = processes_.find(pid);
        } else {
            // Remember the pid as gone (no mappings) so it is counted once; a later
            // refresh picks it up if a new process takes the pid.
            ++stats_.processes_gone_unobserved;
            found = processes_.emplace(pid, Process{}).first;
            found->second.read_at = std::chrono::steady_clock::now();
        }
    }
    Process& process = found->second;

    std::vector<StackFrame> leaf_first;
    leaf_first.reserve(ips.size());
    for (size_t i = 0; i < ips.size() && ips[i] != 0; ++i) {
        const uint64_t ip = ips[i];
        // A return address points after the call; the call itself is one byte back.
        const uint64_t lookup = i == 0 ? ip : ip - 1;
        ++stats_.frames;
        const Mapping* mapping = find_mapping(process, lookup);
        if (mapping == nullptr && refresh_process(pid, process)) {
            mapping = find_mapping(process, lookup);
        }
        std::optional<uint64_t> address;
        if (mapping != nullptr && mapping->elf) {
            address =
                mapping->elf->file_offset_to_address(lookup - mapping->start + mapping->offset);
        }
        // Anonymous executable memory: JIT code, named by the runtime's perf map (read
        // again, at most once a second, when it does not know the address yet).
        if (mapping != nullptr && !mapping->elf) {
            if (jit_frame(process, lookup, ip, leaf_first) ||
                (refresh_process(pid, process) && jit_frame(process, lookup, ip, leaf_first))) {
                continue;
            }
            mapping = find_mapping(process, lookup);
        }
        if (!address) {
            ++stats_.unknown_frames;
            leaf_first.push_back(unknown_frame(ip, mapping != nullptr ? mapping->module : "",
                                               StackFrame::Kind::kUser));
            continue;
        }
        const std::vector<StackFrame>& chain = mapping->elf->frames(*address);
        if (chain.size() == 1 && chain.front().name == kUnknown) {
            ++stats_.unknown_frames;
        }
        for (auto frame = chain.rbegin(); frame != chain.rend(); ++frame) {
            leaf_first.push_back(*frame);
            leaf_first.back().address = ip;
            leaf_first.back().kind = StackFrame::Kind::kUser;
        }
    }
    std::reverse(leaf_first.begin(), leaf_first.end());
    return leaf_first;  // now root first
}

bool Symbolizer::Impl::jit_frame(const Process& process, uint64_t lookup, uint64_t ip,
                                 std::vector<StackFrame>& out) {
    const PerfMap::Entry* entry = process.perf_map ? process.perf_map->find(lookup) : nullptr;
    if (entry == nullptr) {
        return false;
    }
    StackFrame frame;
    frame.name = demangle(entry->name);
    frame.module = process.perf_map_path;
    frame.address = ip;
    frame.kind = StackFrame::Kind::kUser;
    out.push_back(std::move(frame));
    return true;
}

const Kallsyms* Symbolizer::Impl::kallsyms() {
    if (!kallsyms_loaded_) {
        kallsyms_loaded_ = true;
        try {
            if (options_.kallsyms_path.empty()) {
                kallsyms_ = &Kallsyms::system();
            } else {
                own_kallsyms_.emplace(options_.kallsyms_path);
                kallsyms_ = &*own_kallsyms_;
            }
        } catch (const std::exception&) {
            kallsyms_ = nullptr;  // every kernel frame prints as [unknown]
        }
    }
    return kallsyms_;
}

const KernelSymbol* Symbolizer::Impl::kernel_symbol(uint64_t address) {
    auto found = kernel_cache_.find(address);
    if (found != kernel_cache_.end()) {
        return found->second;
    }
    const KernelSymbol* symbol = nullptr;
    if (const Kallsyms* table = kallsyms()) {
        ResolvedKernelAddress resolved = table->resolve(address);
        if (resolved.symbol != nullptr && is_text_symbol(*resolved.symbol) &&
            resolved.offset < kMaxKernelSymbolOffset) {
            symbol = resolved.symbol;
        }
    }
    kernel_cache_.emplace(address, symbol);
    return symbol;
}

std::vector<StackFrame> Symbolizer::Impl::kernel_frames(std::span<const uint64_t> ips) {
    size_t count = 0;
    while (count < ips.size() && ips[count] != 0) {
        ++count;
    }
    std::vector<const KernelSymbol*> symbols(count);
    for (size_t i = 0; i < count; ++i) {
        symbols[i] = kernel_symbol(i == 0 ? ips[i] : ips[i] - 1);
    }

    // The leaf end of a stack captured from a BPF program holds the program, its
    // trampoline and the tracing code that ran it (unnamed when bpf_jit_kallsyms is
    // off): drop that run, but only when a tool frame in it proves what it is.
    size_t trimmed = 0;
    if (options_.trim_tool_frames) {
        bool seen_tool_frame = false;
        size_t run = 0;
        while (run < count && (symbols[run] == nullptr || is_tool_frame(*symbols[run]) ||
                               is_tracing_glue(*symbols[run]))) {
            seen_tool_frame |= symbols[run] != nullptr;
            ++run;
        }
        if (seen_tool_frame) {
            trimmed = run;
        }
    }

    std::vector<StackFrame> frames;
    frames.reserve(count - trimmed);
    for (size_t i = count; i-- > trimmed;) {
        const KernelSymbol* symbol = symbols[i];
        if (symbol != nullptr && options_.trim_tool_frames && is_tool_frame(*symbol)) {
            ++trimmed;  // a BPF program deeper in the stack (struct_ops, nested)
            continue;
        }
        ++stats_.frames;
        if (symbol == nullptr) {
            ++stats_.unknown_frames;
            frames.push_back(unknown_frame(ips[i], "", StackFrame::Kind::kKernel));
            continue;
        }
        StackFrame frame;
        frame.name = options_.kernel_offsets
                         ? fmt::format("{}+0x{:x}", symbol->name, ips[i] - symbol->address)
                         : symbol->name;
        frame.module = symbol->module.empty() ? "[kernel]" : "[" + symbol->module + "]";
        frame.address = ips[i];
        frame.kind = StackFrame::Kind::kKernel;
        frames.push_back(std::move(frame));
    }
    stats_.trimmed_frames += trimmed;
    return frames;
}

Symbolizer::Symbolizer() : Symbolizer(Options{}) {}
Symbolizer::Symbolizer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Symbolizer::~Symbolizer() = default;
Symbolizer::Symbolizer(Symbolizer&&) noexcept = default;
Symbolizer& Symbolizer::operator=(Symbolizer&&) noexcept = default;

void Symbolizer::check_thread(const char* operation) const {
    // The owner is only ever set by the thread that then uses it: a relaxed
    // compare-exchange is enough to elect it and to see a foreign owner.
    std::thread::id none;
    std::thread::id self = std::this_thread::get_id();
    if (impl_->owner.compare_exchange_strong(none, self, std::memory_order_relaxed) || none == self)
        return;
    throw std::logic_error(std::string("Symbolizer::") + operation +
                           " called from a thread that does not own this Symbolizer "
                           "(it is single-threaded: one per thread, or release_thread() first)");
}
void Symbolizer::release_thread() {
    check_thread("release_thread");
    impl_->owner.store(std::thread::id(), std::memory_order_relaxed);
}

bool Symbolizer::observe_process(uint32_t pid) {
    check_thread("observe_process");
    return impl_->observe_process(pid);
}
void Symbolizer::forget_process(uint32_t pid) {
    check_thread("forget_process");
    impl_->forget_process(pid);
}
bool Symbolizer::refresh_process(uint32_t pid) {
    check_thread("refresh_process");
    return impl_->refresh_process_now(pid);
}
std::vector<StackFrame> Symbolizer::kernel_frames(std::span<const uint64_t> ips) {
    check_thread("kernel_frames");
    return impl_->kernel_frames(ips);
}
std::vector<StackFrame> Symbolizer::user_frames(uint32_t pid, std::span<const uint64_t> ips) {
    check_thread("user_frames");
    return impl_->user_frames(pid, ips);
}
std::vector<StackFrame> Symbolizer::stack(uint32_t pid, std::span<const uint64_t> user_ips,
                                          std::span<const uint64_t> kernel_ips, bool separator) {
    check_thread("stack");
    std::vector<StackFrame> frames =
        user_ips.empty() ? std::vector<StackFrame>{} : impl_->user_frames(pid, user_ips);
    std::vector<StackFrame> kernel =
        kernel_ips.empty() ? std::vector<StackFrame>{} : impl_->kernel_frames(kernel_ips);
    if (separator && !frames.empty() && !kernel.empty()) {
        StackFrame divider;
        divider.name = "-";
        divider.kind = StackFrame::Kind::kSeparator;
        frames.push_back(std::move(divider));
    }
    frames.insert(frames.end(), std::make_move_iterator(kernel.begin()),
                  std::make_move_iterator(kernel.end()));
    return frames;
}

Symbolizer::Stats Symbolizer::stats() const {
    check_thread("stats");
    return impl_->stats();
}

}  // namespace bpfscope::symbols
