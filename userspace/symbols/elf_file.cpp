#include "symbols/elf_file.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "symbols/demangle.h"

namespace bpfscope::symbols {
namespace {

constexpr const char* kUnknown = "[unknown]";

std::string attribute_string(Dwarf_Die* die, unsigned int name) {
    Dwarf_Attribute attribute;
    if (dwarf_attr_integrate(die, name, &attribute) == nullptr) {
        return {};
    }
    const char* value = dwarf_formstring(&attribute);
    return value != nullptr ? value : std::string();
}

// The name of a subprogram or inlined subroutine: the demangled linkage name (which
// carries namespaces, classes and parameters) when there is one, else DW_AT_name.
std::string function_name(Dwarf_Die* die) {
    std::string name = attribute_string(die, DW_AT_linkage_name);
    if (name.empty()) {
        name = attribute_string(die, DW_AT_MIPS_linkage_name);
    }
    if (!name.empty()) {
        return demangle(name);
    }
    return attribute_string(die, DW_AT_name);
}

// Where an inlined subroutine was called from (DW_AT_call_file / DW_AT_call_line).
void call_site(Dwarf_Die* inlined, std::string& file, int& line) {
    Dwarf_Attribute attribute;
    Dwarf_Word value = 0;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attribute), &value) == 0) {
        line = static_cast<int>(value);
    }
    Dwarf_Die cu;
    Dwarf_Files* files = nullptr;
    size_t file_count = 0;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attribute), &value) == 0 &&
        dwarf_diecu(inlined, &cu, nullptr, nullptr) != nullptr &&
        dwarf_getsrcfiles(&cu, &files, &file_count) == 0 && value < file_count) {
        const char* name = dwarf_filesrc(files, value, nullptr, nullptr);
        if (name != nullptr) {
            file = name;
        }
    }
}

}  // namespace

void ElfFile::DwflDeleter::operator()(Dwfl* dwfl) const {
    dwfl_end(dwfl);
}

// Separate debug files: through .gnu_debuglink (next to the file, in its .debug/
// subdirectory, under the debug directories) and build-id links under
// <debug directory>/.build-id.
struct ElfFile::CallbacksHolder {
    Dwfl_Callbacks callbacks{};
};

std::unique_ptr<ElfFile> ElfFile::open_path(const std::string& path, const Options& options) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw ElfError(errno_message("cannot open " + path, errno));
    return open_fd(fd, path, path, options);
}

std::unique_ptr<ElfFile> ElfFile::open_fd(int fd, const std::string& lookup_path,
                                          std::string display_name, const Options& options) {
    std::unique_ptr<ElfFile> file(new ElfFile());
    file->display_name_ = std::move(display_name);
    file->source_lines_ = options.source_lines;
    file->debuginfo_path_ = options.debuginfo_path;
    file->callbacks_ = std::make_unique<CallbacksHolder>();
    Dwfl_Callbacks& callbacks = file->callbacks_->callbacks;
    callbacks.find_elf = dwfl_build_id_find_elf;
    callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    callbacks.section_address = dwfl_offline_section_address;
    if (!file->debuginfo_path_.empty()) {
        file->debuginfo_path_pointer_ = file->debuginfo_path_.data();
        callbacks.debuginfo_path = &file->debuginfo_path_pointer_;
    }
    file->dwfl_.reset(dwfl_begin(&callbacks));
    if (!file->dwfl_) {
        ::close(fd);
        throw ElfError(std::string("dwfl_begin: ") + dwfl_errmsg(-1));
    }
    Dwfl* dwfl = file->dwfl_.get();
    dwfl_report_begin(dwfl);
    // base 0 with add_p_vaddr: libdwfl addresses are the link-time addresses (bias 0)
    // for both ET_EXEC and ET_DYN; we still read the bias back below to be sure.
    file->module_ =
        dwfl_report_elf(dwfl, file->display_name_.c_str(), lookup_path.c_str(), fd, 0, true);
    if (file->module_ == nullptr) {
        ::close(fd);  // only consumed on success
        throw ElfError(lookup_path + ": " + dwfl_errmsg(-1));
    }
    dwfl_report_end(dwfl, nullptr, nullptr);

    Dwarf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(file->module_, &bias);
    if (elf == nullptr)
        throw ElfError(lookup_path + ": " + dwfl_errmsg(-1));
    file->bias_ = bias;
    size_t header_count = 0;
    if (elf_getphdrnum(elf, &header_count) == 0) {
        for (size_t i = 0; i < header_count; ++i) {
            GElf_Phdr header;
            if (gelf_getphdr(elf, static_cast<int>(i), &header) != nullptr &&
                header.p_type == PT_LOAD) {
                file->segments_.push_back({header.p_offset, header.p_filesz, header.p_vaddr});
            }
        }
    }
    const unsigned char* id_bits = nullptr;
    GElf_Addr id_vaddr = 0;
    int id_length = dwfl_module_build_id(file->module_, &id_bits, &id_vaddr);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < id_length; ++i) {
        file->build_id_.push_back(kHex[id_bits[i] >> 4]);
        file->build_id_.push_back(kHex[id_bits[i] & 0xf]);
    }
    if (options.find_debug_now) {
        file->load_debug();
    }
    return file;
}

ElfFile::~ElfFile() = default;

void ElfFile::load_debug() {
    if (debug_loaded_) {
        return;
    }
    debug_loaded_ = true;
    Dwarf_Addr dwarf_bias = 0;
    has_dwarf_ = dwfl_module_getdwarf(module_, &dwarf_bias) != nullptr;
    load_function_symbols();
}

bool ElfFile::has_dwarf() {
    load_debug();
    return has_dwarf_;
}

std::optional<uint64_t> ElfFile::file_offset_to_address(uint64_t file_offset) const {
    for (const LoadSegment& segment : segments_) {
        if (file_offset >= segment.file_offset &&
            file_offset < segment.file_offset + segment.file_size) {
            return file_offset - segment.file_offset + segment.vaddr;
        }
    }
    // A mapping may start on the page below its segment's first byte; use the segment
    // whose page range holds the offset.
    for (const LoadSegment& segment : segments_) {
        uint64_t page_start = segment.file_offset & ~uint64_t{0xfff};
        if (file_offset >= page_start && file_offset < segment.file_offset + segment.file_size) {
            return file_offset - segment.file_offset + segment.vaddr;
        }
    }
    return std::nullopt;
}

const std::vector<StackFrame>& ElfFile::frames(uint64_t address) {
    auto found = cache_.find(address);
    if (found != cache_.end()) {
        return found->second;
    }
    load_debug();
    return cache_.emplace(address, resolve(address)).first->second;
}

// libdwfl's dwfl_module_addrinfo scans the whole symbol table on every call (0.5 ms
// per lookup in libc with its debug file); sort the function symbols once instead.
void ElfFile::load_function_symbols() {
    int count = dwfl_module_getsymtab(module_);
    for (int i = 1; i < count; ++i) {
        GElf_Sym symbol;
        GElf_Addr address = 0;
        GElf_Word section = 0;
        const char* name =
            dwfl_module_getsym_info(module_, i, &symbol, &address, &section, nullptr, nullptr);
        int type = GELF_ST_TYPE(symbol.st_info);
        if (name == nullptr || *name == '\0' || section == SHN_UNDEF || address == 0 ||
            (type != STT_FUNC && type != STT_GNU_IFUNC)) {
            continue;
        }
        function_symbols_.push_back(
            {address, symbol.st_size, name, GELF_ST_BIND(symbol.st_info) == STB_GLOBAL});
    }
    // At one address (aliases, .symtab and .dynsym copies), prefer a global name,
    // then a sized one, then the shorter ("memcpy" over "__memcpy_avx_unaligned").
    std::sort(function_symbols_.begin(), function_symbols_.end(),
              [](const FunctionSymbol& a, const FunctionSymbol& b) {
                  if (a.start != b.start) {
                      return a.start < b.start;
                  }
                  if (a.global != b.global) {
                      return a.global;
                  }
                  if ((a.size != 0) != (b.size != 0)) {
                      return a.size != 0;
                  }
                  return std::strlen(a.name) < std::strlen(b.name);
              });
    function_symbols_.erase(std::unique(function_symbols_.begin(), function_symbols_.end(),
                                        [](const FunctionSymbol& a, const FunctionSymbol& b) {
                                            return a.start == b.start;
                                        }),
                            function_symbols_.end());
    // A sizeless symbol (hand-written assembly, _init/_fini) reaches to the next
    // symbol, and never past the end of its segment.
    for (size_t i = 0; i < function_symbols_.size(); ++i) {
        FunctionSymbol& symbol = function_symbols_[i];
        if (symbol.size != 0) {
            continue;
        }
        uint64_t end =
            i + 1 < function_symbols_.size() ? function_symbols_[i + 1].start : symbol.start + 1;
        for (const LoadSegment& segment : segments_) {
            uint64_t segment_start = segment.vaddr + bias_;
            uint64_t segment_end = segment_start + segment.file_size;
            if (symbol.start >= segment_start && symbol.start < segment_end) {
                end = std::min(end, segment_end);
            }
        }
        symbol.size = end == UINT64_MAX ? 1 : std::max<uint64_t>(end - symbol.start, 1);
    }
}

const char* ElfFile::function_symbol(uint64_t module_address) const {
    auto after = std::upper_bound(
        function_symbols_.begin(), function_symbols_.end(), module_address,
        [](uint64_t value, const FunctionSymbol& symbol) { return value < symbol.start; });
    if (after == function_symbols_.begin()) {
        return nullptr;
    }
    const FunctionSymbol& symbol = *std::prev(after);
    if (module_address >= symbol.start + symbol.size) {
        return nullptr;
    }
    return symbol.name;
}

// Subprograms with code in one compile unit, found by walking the unit once: its top
// level and the namespaces and classes that hold definitions. (dwarf_getscopes walks
// the whole unit on every lookup, up to three times: 0.3 ms per address in libc.)
std::vector<ElfFile::CodeRange> ElfFile::unit_functions(Dwarf_Die* unit) {
    std::vector<CodeRange> ranges;
    std::vector<Dwarf_Die> parents{*unit};
    while (!parents.empty()) {
        Dwarf_Die parent = parents.back();
        parents.pop_back();
        Dwarf_Die child;
        if (dwarf_child(&parent, &child) != 0) {
            continue;
        }
        do {
            int tag = dwarf_tag(&child);
            if (tag == DW_TAG_subprogram) {
                Dwarf_Addr base = 0, low = 0, high = 0;
                ptrdiff_t offset = 0;
                while ((offset = dwarf_ranges(&child, offset, &base, &low, &high)) > 0) {
                    ranges.push_back({low, high, child});
                }
            } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
                       tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
                       tag == DW_TAG_module) {
                parents.push_back(child);
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const CodeRange& a, const CodeRange& b) { return a.low < b.low; });
    return ranges;
}

// The functions whose code holds the address, innermost first: the inlined
// subroutines, then the subprogram they were inlined into. Empty without DWARF.
std::vector<Dwarf_Die> ElfFile::function_chain(uint64_t module_address) {
    std::vector<Dwarf_Die> chain;
    Dwarf_Addr unit_bias = 0;
    Dwarf_Die* unit =
        has_dwarf_ ? dwfl_module_addrdie(module_, module_address, &unit_bias) : nullptr;
    if (unit == nullptr) {
        return chain;
    }
    const Dwarf_Addr pc = module_address - unit_bias;
    auto [slot, inserted] = unit_functions_.try_emplace(dwarf_dieoffset(unit));
    if (inserted) {
        slot->second = unit_functions(unit);
    }
    const std::vector<CodeRange>& ranges = slot->second;
    auto after = std::upper_bound(
        ranges.begin(), ranges.end(), pc,
        [](Dwarf_Addr value, const CodeRange& range) { return value < range.low; });
    // Ranges of different functions do not overlap, except GNU C nested functions:
    // look back a few entries for the innermost (latest starting) one holding pc.
    const CodeRange* found = nullptr;
    for (int steps = 0; after != ranges.begin() && steps < 16; ++steps) {
        --after;
        if (pc < after->high) {
            found = &*after;
            break;
        }
    }
    if (found == nullptr) {
        return chain;
    }
    // Down from the subprogram through blocks into the inlined subroutines holding pc.
    Dwarf_Die current = found->die;
    chain.push_back(current);
    for (bool descended = true; descended;) {
        descended = false;
        Dwarf_Die child;
        if (dwarf_child(&current, &child) != 0) {
            break;
        }
        do {
            int tag = dwarf_tag(&child);
            if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
                 tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
                dwarf_haspc(&child, pc) == 1) {
                if (tag == DW_TAG_inlined_subroutine) {
                    chain.push_back(child);
                }
                current = child;
                descended = true;
                break;
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    return {chain.rbegin(), chain.rend()};
}

std::vector<StackFrame> ElfFile::resolve(uint64_t address) {
    const Dwarf_Addr module_address = address + bias_;

    std::string symbol_name;
    if (const char* symbol = function_symbol(module_address)) {
        symbol_name = demangle(symbol);
    }

    // The chain of functions containing the address, innermost first: inlined
    // subroutines, then the subprogram they were inlined into.
    std::vector<Dwarf_Die> functions = function_chain(module_address);

    // Leaf-first while building; reversed at the end.
    std::vector<StackFrame> frames;
    std::string file;
    int line = 0;
    if (source_lines_) {
        if (Dwfl_Line* line_info = dwfl_module_getsrc(module_, module_address)) {
            const char* line_file =
                dwfl_lineinfo(line_info, nullptr, &line, nullptr, nullptr, nullptr);
            if (line_file != nullptr) {
                file = line_file;
            }
        }
    }
    for (size_t i = 0; i < functions.size(); ++i) {
        bool inlined = dwarf_tag(&functions[i]) == DW_TAG_inlined_subroutine;
        StackFrame frame;
        frame.name = function_name(&functions[i]);
        // The real (outermost) function keeps its symbol-table name, as nm and perf
        // show it (e.g. "foo.constprop.0"), when the symbol table has one.
        if (!inlined && !symbol_name.empty()) {
            frame.name = symbol_name;
        }
        if (frame.name.empty()) {
            frame.name = kUnknown;
        }
        frame.module = display_name_;
        frame.inlined = inlined;
        frame.file = file;
        frame.line = line;
        frames.push_back(std::move(frame));
        // The next (outer) function is at the line this one was inlined from.
        file.clear();
        line = 0;
        if (inlined && source_lines_) {
            call_site(&functions[i], file, line);
        }
    }
    // Inlined code whose containing subprogram DWARF does not describe: the symbol
    // table still names the real function; without it the outermost inline stands in.
    if (!frames.empty() && frames.back().inlined) {
        if (!symbol_name.empty()) {
            StackFrame frame;
            frame.name = symbol_name;
            frame.module = display_name_;
            frame.file = file;
            frame.line = line;
            frames.push_back(std::move(frame));
        } else {
            frames.back().inlined = false;
        }
    }
    if (frames.empty()) {
        StackFrame frame;
        frame.name = symbol_name.empty() ? kUnknown : symbol_name;
        frame.module = display_name_;
        if (!symbol_name.empty()) {
            frame.file = file;
            frame.line = line;
        }
        frames.push_back(std::move(frame));
    }
    std::reverse(frames.begin(), frames.end());
    return frames;
}

}  // namespace bpfscope::symbols
