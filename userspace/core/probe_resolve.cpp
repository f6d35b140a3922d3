#include "core/probe_resolve.h"

#include <bpf/btf.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/error.h"
#include "base/owners.h"
#include "core/tracefs.h"
#include "core/user_binary.h"
#include "symbols/kallsyms.h"

namespace bpfscope {

bool glob_match(const std::string& pattern, const std::string& name) {
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

const struct btf* vmlinux_btf() {
    static std::unique_ptr<struct btf, void (*)(struct btf*)> loaded(nullptr, btf__free);
    static bool tried = false;
    if (!tried) {
        tried = true;
        struct btf* btf = btf__load_vmlinux_btf();
        if (!libbpf_get_error(btf))
            loaded.reset(btf);
    }
    return loaded.get();
}

namespace {

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : " ") + name;
    return out;
}

void check_cap(const ProbeSpec& spec, size_t matches, const ResolveOptions& options) {
    if (matches > options.max_matches)
        throw UserError("'" + spec.text + "' matches " + std::to_string(matches) +
                        " probes, more than the cap of " + std::to_string(options.max_matches) +
                        ": narrow the pattern (or raise the cap with --max-matches)");
}

// ---- kernel functions ----

// Functions ftrace can attach to, when the kernel lets us read the list
// (lockdown refuses it on some machines): kprobes and fentry need them.
std::optional<std::set<std::string>> traceable_functions() {
    const auto& tracefs = ensure_tracefs();
    if (!tracefs.mounted)
        return std::nullopt;
    std::ifstream in(tracefs.path + "/available_filter_functions");
    if (!in)
        return std::nullopt;
    std::set<std::string> names;
    std::string line;
    while (std::getline(in, line)) {
        auto end = line.find_first_of(" \t");
        names.insert(line.substr(0, end));
    }
    if (names.empty())
        return std::nullopt;
    return names;
}

bool btf_has_function(const std::string& name) {
    const struct btf* btf = vmlinux_btf();
    return btf && btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_FUNC) > 0;
}

std::vector<ResolvedProbe> resolve_kernel(const ProbeSpec& spec, const ResolveOptions& options) {
    const auto& kallsyms = symbols::Kallsyms::system();
    std::vector<std::string> functions;
    if (!spec.wildcard()) {
        if (!kallsyms.contains(spec.function)) {
            std::string message = "unknown kernel function '" + spec.function +
                                  "': not in /proc/kallsyms (inlined, renamed or in an unloaded "
                                  "module?)";
            auto similar = kallsyms.similar(spec.function, 5);
            if (!similar.empty())
                message += "; similar names: " + join_names(similar);
            throw UserError(message);
        }
        functions.push_back(spec.function);
    } else {
        // Real, traceable functions only: names with BTF (not inlined, not
        // padding symbols), and in the ftrace list when we may read it.
        auto traceable = traceable_functions();
        for (const auto& name : kallsyms.function_names()) {
            if (!glob_match(spec.function, name))
                continue;
            if (traceable ? !traceable->count(name) : !btf_has_function(name))
                continue;
            functions.push_back(name);
        }
        if (functions.empty())
            throw UserError("'" + spec.text +
                            "' matches no traceable kernel function (kallsyms, BTF): check the "
                            "pattern");
        check_cap(spec, functions.size(), options);
    }
    std::vector<ResolvedProbe> out;
    for (const auto& function : functions) {
        ResolvedProbe probe;
        probe.spec = spec;
        probe.function = function;
        probe.name = (spec.is_return() ? "r:" : "") + function;
        out.push_back(std::move(probe));
    }
    return out;
}

// ---- ELF (user functions, USDT) ----

struct ElfHandle {
    UniqueFd fd;
    Elf* elf = nullptr;
    ~ElfHandle() {
        if (elf)
            elf_end(elf);
    }
};

std::unique_ptr<ElfHandle> open_elf(const std::string& path) {
    elf_version(EV_CURRENT);
    auto handle = std::make_unique<ElfHandle>();
    handle->fd.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!handle->fd)
        throw UserError(errno_message("cannot open '" + path + "'", errno));
    handle->elf = elf_begin(handle->fd.get(), ELF_C_READ, nullptr);
    if (!handle->elf || elf_kind(handle->elf) != ELF_K_ELF)
        throw UserError("'" + path + "' is not an ELF file: give an executable or library");
    return handle;
}

// The file offset of a link-time virtual address, through its PT_LOAD segment.
std::optional<uint64_t> address_to_offset(Elf* elf, uint64_t address) {
    size_t count = 0;
    if (elf_getphdrnum(elf, &count) != 0)
        return std::nullopt;
    for (size_t i = 0; i < count; i++) {
        GElf_Phdr phdr;
        if (!gelf_getphdr(elf, int(i), &phdr) || phdr.p_type != PT_LOAD)
            continue;
        if (address >= phdr.p_vaddr && address < phdr.p_vaddr + phdr.p_memsz)
            return address - phdr.p_vaddr + phdr.p_offset;
    }
    return std::nullopt;
}

// Defined functions of .symtab and .dynsym: name -> link-time address.
std::map<std::string, uint64_t> elf_functions(Elf* elf) {
    std::map<std::string, uint64_t> functions;
    Elf_Scn* section = nullptr;
    while ((section = elf_nextscn(elf, section))) {
        GElf_Shdr header;
        if (!gelf_getshdr(section, &header) ||
            (header.sh_type != SHT_SYMTAB && header.sh_type != SHT_DYNSYM))
            continue;
        Elf_Data* data = elf_getdata(section, nullptr);
        if (!data || header.sh_entsize == 0)
            continue;
        size_t symbols = header.sh_size / header.sh_entsize;
        for (size_t i = 0; i < symbols; i++) {
            GElf_Sym symbol;
            if (!gelf_getsym(data, int(i), &symbol))
                continue;
            if (GELF_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_shndx == SHN_UNDEF ||
                symbol.st_value == 0)
                continue;
            const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
            if (name && *name)
                functions.emplace(name, symbol.st_value);
        }
    }
    return functions;
}

std::vector<ResolvedProbe> resolve_user(const ProbeSpec& spec, const ResolveOptions& options) {
    std::string path = resolve_user_binary(spec.binary, options.pid);
    auto elf = open_elf(path);
    auto functions = elf_functions(elf->elf);
    std::vector<std::pair<std::string, uint64_t>> matched;
    if (!spec.wildcard()) {
        auto it = functions.find(spec.function);
        if (it == functions.end()) {
            std::vector<std::string> similar;
            for (const auto& [name, address] : functions)
                if (similar.size() < 5 && name.find(spec.function) != std::string::npos)
                    similar.push_back(name);
            throw UserError("unknown function '" + spec.function + "' in " + path +
                            " (no such symbol in .symtab/.dynsym)" +
                            (similar.empty() ? "" : "; similar names: " + join_names(similar)));
        }
        matched.emplace_back(*it);
    } else {
        for (const auto& [name, address] : functions)
            if (glob_match(spec.function, name))
                matched.emplace_back(name, address);
        if (matched.empty())
            throw UserError("'" + spec.text + "' matches no function in " + path);
        check_cap(spec, matched.size(), options);
    }
    std::vector<ResolvedProbe> out;
    std::set<uint64_t> seen_offsets;  // aliases (malloc, __libc_malloc) share one probe
    for (const auto& [name, address] : matched) {
        auto offset = address_to_offset(elf->elf, address);
        if (!offset)
            throw UserError("function '" + name + "' in " + path +
                            " is outside every loadable segment: cannot place a uprobe");
        if (spec.wildcard() && !seen_offsets.insert(*offset).second)
            continue;
        ResolvedProbe probe;
        probe.spec = spec;
        probe.function = name;
        probe.binary_path = path;
        probe.file_offset = *offset;
        probe.name = std::string(spec.is_return() ? "r:" : "") + spec.binary + ":" + name;
        out.push_back(std::move(probe));
    }
    return out;
}

// ---- USDT ----

std::vector<ResolvedProbe> resolve_usdt(const ProbeSpec& spec, const ResolveOptions& options) {
    std::string path = resolve_user_binary(spec.binary, options.pid);
    auto elf = open_elf(path);
    // .stapsdt.base: notes carry its link-time address; prelinking moves it.
    std::optional<uint64_t> base_address;
    size_t strings_index = 0;
    elf_getshdrstrndx(elf->elf, &strings_index);
    Elf_Scn* section = nullptr;
    while ((section = elf_nextscn(elf->elf, section))) {
        GElf_Shdr header;
        if (!gelf_getshdr(section, &header))
            continue;
        const char* name = elf_strptr(elf->elf, strings_index, header.sh_name);
        if (name && std::string(name) == ".stapsdt.base")
            base_address = header.sh_addr;
    }
    std::vector<ResolvedProbe> out;
    section = nullptr;
    while ((section = elf_nextscn(elf->elf, section))) {
        GElf_Shdr header;
        if (!gelf_getshdr(section, &header) || header.sh_type != SHT_NOTE)
            continue;
        Elf_Data* data = elf_getdata(section, nullptr);
        size_t offset = 0, name_offset = 0, desc_offset = 0;
        GElf_Nhdr note;
        while (data && (offset = gelf_getnote(data, offset, &note, &name_offset, &desc_offset))) {
            if (note.n_type != 3 || note.n_namesz != 8 ||
                std::string(static_cast<const char*>(data->d_buf) + name_offset) != "stapsdt")
                continue;
            const char* desc = static_cast<const char*>(data->d_buf) + desc_offset;
            size_t word = elf->elf && gelf_getclass(elf->elf) == ELFCLASS32 ? 4 : 8;
            if (note.n_descsz < 3 * word + 3)
                continue;
            auto read_word = [&](size_t index) {
                uint64_t value = 0;
                std::memcpy(&value, desc + index * word, word);
                return value;
            };
            uint64_t pc = read_word(0), base = read_word(1), semaphore = read_word(2);
            const char* text = desc + 3 * word;
            const char* end = desc + note.n_descsz;
            std::string provider(text, strnlen(text, size_t(end - text)));
            text += provider.size() + 1;
            std::string probe_name(text, strnlen(text, size_t(end - text)));
            text += probe_name.size() + 1;
            std::string arguments =
                text < end ? std::string(text, strnlen(text, size_t(end - text))) : std::string();
            if (!glob_match(spec.provider, provider) || !glob_match(spec.name, probe_name))
                continue;
            if (base_address && base) {
                pc += *base_address - base;
                if (semaphore)
                    semaphore += *base_address - base;
            }
            ResolvedProbe probe;
            probe.spec = spec;
            probe.binary_path = path;
            probe.name = "u:" + spec.binary + ":" + provider + ":" + probe_name;
            auto pc_offset = address_to_offset(elf->elf, pc);
            if (!pc_offset)
                throw UserError("USDT probe " + provider + ":" + probe_name + " in " + path +
                                " is outside every loadable segment");
            probe.file_offset = *pc_offset;
            if (semaphore) {
                // The semaphore lives in .probes (data): the uprobe counter wants its file offset.
                auto semaphore_offset = address_to_offset(elf->elf, semaphore);
                probe.semaphore_offset = semaphore_offset.value_or(0);
            }
            size_t start = 0;
            while (start < arguments.size()) {
                size_t space = arguments.find(' ', start);
                std::string argument = arguments.substr(start, space - start);
                if (!argument.empty())
                    probe.usdt_arguments.push_back(parse_usdt_argument(argument));
                if (space == std::string::npos)
                    break;
                start = space + 1;
            }
            out.push_back(std::move(probe));
        }
    }
    if (out.empty())
        throw UserError("no USDT probe matches " + spec.provider + ":" + spec.name + " in " + path +
                        " (list its notes with 'readelf -n " + path + "')");
    check_cap(spec, out.size(), options);
    return out;
}

// ---- tracepoints ----

std::vector<std::string> subdirectories(const std::string& path) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(path, error))
        if (entry.is_directory(error))
            names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<ResolvedProbe> resolve_tracepoint(const ProbeSpec& spec,
                                              const ResolveOptions& options) {
    const auto& tracefs = ensure_tracefs();
    if (!tracefs.mounted)
        throw UserError("cannot list tracepoints: " + tracefs.problem);
    std::string events = tracefs.path + "/events";
    std::vector<ResolvedProbe> out;
    for (const auto& category : subdirectories(events)) {
        if (!glob_match(spec.category, category))
            continue;
        for (const auto& event : subdirectories(events + "/" + category)) {
            if (!glob_match(spec.event, event) ||
                !std::filesystem::exists(events + "/" + category + "/" + event + "/format"))
                continue;
            ResolvedProbe probe;
            probe.spec = spec;
            probe.category = category;
            probe.event = event;
            probe.name = "t:" + category + ":" + event;
            out.push_back(std::move(probe));
        }
    }
    if (out.empty()) {
        std::string message = "unknown tracepoint '" + spec.text + "': not in " + events;
        std::vector<std::string> similar;
        for (const auto& category : subdirectories(events)) {
            if (category == spec.category || spec.wildcard())
                continue;
            for (const auto& event : subdirectories(events + "/" + category))
                if (similar.size() < 5 && !spec.event.empty() &&
                    event.find(spec.event) != std::string::npos)
                    similar.push_back("t:" + category + ":" + event);
        }
        if (std::filesystem::is_directory(events + "/" + spec.category) && !spec.wildcard()) {
            for (const auto& event : subdirectories(events + "/" + spec.category))
                if (similar.size() < 5 && (event.find(spec.event) != std::string::npos ||
                                           spec.event.find(event) != std::string::npos))
                    similar.push_back("t:" + spec.category + ":" + event);
            message += " (the category exists: list its events with 'ls " + events + "/" +
                       spec.category + "')";
        }
        if (!similar.empty())
            message += "; similar names: " + join_names(similar);
        throw UserError(message);
    }
    check_cap(spec, out.size(), options);
    return out;
}

}  // namespace

UsdtArgument parse_usdt_argument(const std::string& text) {
    // SIZE@OPERAND, SIZE negative for signed: "-4@%edi", "8@-16(%rbp)", "4@$5".
    static const std::map<std::string, std::string> kRegisters = {
        {"eax", "rax"}, {"ebx", "rbx"}, {"ecx", "rcx"}, {"edx", "rdx"}, {"esi", "rsi"},
        {"edi", "rdi"}, {"ebp", "rbp"}, {"esp", "rsp"}, {"ax", "rax"},  {"bx", "rbx"},
        {"cx", "rcx"},  {"dx", "rdx"},  {"si", "rsi"},  {"di", "rdi"},  {"al", "rax"},
        {"bl", "rbx"},  {"cl", "rcx"},  {"dl", "rdx"},  {"sil", "rsi"}, {"dil", "rdi"}};
    auto bad = [&] {
        return UserError("cannot read the USDT argument '" + text +
                         "' (expected SIZE@%REG, SIZE@OFFSET(%REG) or SIZE@$CONST)");
    };
    UsdtArgument argument;
    auto at = text.find('@');
    if (at == std::string::npos)
        throw bad();
    try {
        int size = std::stoi(text.substr(0, at));
        argument.is_signed = size < 0;
        argument.size = std::abs(size);
    } catch (const std::exception&) {
        throw bad();
    }
    std::string operand = text.substr(at + 1);
    auto register_of = [&](std::string name) {
        if (auto it = kRegisters.find(name); it != kRegisters.end())
            return it->second;
        if (name.size() > 1 && name[0] == 'r' && name.back() == 'd')
            name.pop_back();  // r8d -> r8
        return name;
    };
    if (!operand.empty() && operand[0] == '$') {
        argument.kind = UsdtArgument::Kind::kConstant;
        try {
            argument.value = std::stoll(operand.substr(1), nullptr, 0);
        } catch (const std::exception&) {
            throw bad();
        }
    } else if (!operand.empty() && operand[0] == '%') {
        argument.kind = UsdtArgument::Kind::kRegister;
        argument.register_name = register_of(operand.substr(1));
    } else {
        auto open = operand.find("(%");
        auto close = operand.find(')');
        if (open == std::string::npos || close == std::string::npos || close < open)
            throw bad();
        argument.kind = UsdtArgument::Kind::kMemory;
        try {
            argument.value = open == 0 ? 0 : std::stoll(operand.substr(0, open), nullptr, 0);
        } catch (const std::exception&) {
            throw bad();
        }
        argument.register_name = register_of(operand.substr(open + 2, close - open - 2));
    }
    return argument;
}

std::vector<ResolvedProbe> resolve_probe(const ProbeSpec& spec, const ResolveOptions& options) {
    switch (spec.kind) {
        case ProbeSpec::Kind::kKernelEntry:
        case ProbeSpec::Kind::kKernelReturn:
            return resolve_kernel(spec, options);
        case ProbeSpec::Kind::kUserEntry:
        case ProbeSpec::Kind::kUserReturn:
            return resolve_user(spec, options);
        case ProbeSpec::Kind::kTracepoint:
            return resolve_tracepoint(spec, options);
        case ProbeSpec::Kind::kUsdt:
            return resolve_usdt(spec, options);
    }
    return {};
}

}  // namespace bpfscope
