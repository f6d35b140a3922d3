#include "symbols/elf_file.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cstdlib>

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

bool is_function(Dwarf_Die* die) {
    int tag = dwarf_tag(die);
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
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

std::unique_ptr<ElfFile> ElfFile::open_path(const std::string& path, const Options& options,
                                            std::string& error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot open " + path;
        return nullptr;
    }
    return open_fd(fd, path, path, options, error);
}

std::unique_ptr<ElfFile> ElfFile::open_fd(int fd, const std::string& lookup_path,
                                          std::string display_name, const Options& options,
                                          std::string& error) {
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
        error = std::string("dwfl_begin: ") + dwfl_errmsg(-1);
        return nullptr;
    }
    Dwfl* dwfl = file->dwfl_.get();
    dwfl_report_begin(dwfl);
    // base 0 with add_p_vaddr: libdwfl addresses are the link-time addresses (bias 0)
    // for both ET_EXEC and ET_DYN; we still read the bias back below to be sure.
    file->module_ =
        dwfl_report_elf(dwfl, file->display_name_.c_str(), lookup_path.c_str(), fd, 0, true);
    if (file->module_ == nullptr) {
        ::close(fd);  // only consumed on success
        error = lookup_path + ": " + dwfl_errmsg(-1);
        return nullptr;
    }
    dwfl_report_end(dwfl, nullptr, nullptr);

    Dwarf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(file->module_, &bias);
    if (elf == nullptr) {
        error = lookup_path + ": " + dwfl_errmsg(-1);
        return nullptr;
    }
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
    dwfl_module_getsymtab(module_);
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

const std::vector<report::StackFrame>& ElfFile::frames(uint64_t address) {
    auto found = cache_.find(address);
    if (found != cache_.end()) {
        return found->second;
    }
    load_debug();
    return cache_.emplace(address, resolve(address)).first->second;
}

std::vector<report::StackFrame> ElfFile::resolve(uint64_t address) const {
    const Dwarf_Addr module_address = address + bias_;

    std::string symbol_name;
    GElf_Off symbol_offset = 0;
    GElf_Sym symbol;
    const char* symbol_found = dwfl_module_addrinfo(module_, module_address, &symbol_offset,
                                                    &symbol, nullptr, nullptr, nullptr);
    if (symbol_found != nullptr && *symbol_found != '\0') {
        symbol_name = demangle(symbol_found);
    }

    // The chain of functions containing the address, innermost first: inlined
    // subroutines, then the subprogram they were inlined into.
    std::vector<Dwarf_Die> functions;
    Dwarf_Addr cu_bias = 0;
    Dwarf_Die* cu = has_dwarf_ ? dwfl_module_addrdie(module_, module_address, &cu_bias) : nullptr;
    if (cu != nullptr) {
        Dwarf_Die* scopes = nullptr;
        int scope_count = dwarf_getscopes(cu, module_address - cu_bias, &scopes);
        if (scope_count > 0) {
            // Like eu-addr2line -i: walk up from the innermost scope through the
            // concrete DIE tree (dwarf_getscopes may continue into abstract origins).
            Dwarf_Die innermost = scopes[0];
            free(scopes);
            scopes = nullptr;
            scope_count = dwarf_getscopes_die(&innermost, &scopes);
            for (int i = 0; i < scope_count; ++i) {
                if (is_function(&scopes[i])) {
                    functions.push_back(scopes[i]);
                    if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine) {
                        break;
                    }
                }
            }
        }
        free(scopes);
    }

    // Leaf-first while building; reversed at the end.
    std::vector<report::StackFrame> frames;
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
        report::StackFrame frame;
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
            report::StackFrame frame;
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
        report::StackFrame frame;
        frame.name = symbol_name.empty() ? kUnknown : symbol_name;
        frame.module = display_name_;
        if (!symbol_name.empty()) {
            frame.file = file;
            frame.line = line;
        }
        frames.push_back(std::move(frame));
    }
    return {frames.rbegin(), frames.rend()};
}

}  // namespace bpfscope::symbols
