#pragma once
// One ELF file (executable, shared library, vDSO image) opened with elfutils' libdwfl:
// symbol tables (.symtab, .dynsym, and those of a separate debug file found through
// .gnu_debuglink or /usr/lib/debug/.build-id), DWARF for inlined frames and lines.
// Addresses here are the file's own link-time virtual addresses; translating a process
// address needs the mapping (see file_offset_to_address).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <elfutils/libdw.h>

#include "base/error.h"
#include "base/stack_frame.h"

struct Dwfl;
struct Dwfl_Module;

namespace bpfscope::symbols {

// A file that cannot be opened as ELF: "<path>: <why>". The symbolizer skips
// such a file (its frames print as [unknown]); a tool that needs it lets it reach main().
class ElfError : public UserError {
  public:
    using UserError::UserError;
};

class ElfFile {
  public:
    struct Options {
        bool source_lines = false;  // fill StackFrame::file/line
        // Where separate debug files are searched, in elfutils' syntax: colon-separated
        // directories; "" relative entries are taken from the file's directory (for
        // .gnu_debuglink), absolute ones also hold .build-id/xx/yyyy.debug. Empty means
        // elfutils' default ":.debug:/usr/lib/debug".
        std::string debuginfo_path = {};
        // Look the debug file up (and read the symbol table) while opening, instead of
        // on first use: needed when lookup_path will vanish (/proc/PID/root/...).
        bool find_debug_now = false;
    };

    // Takes ownership of `fd` (closed on failure too). `lookup_path` is where the file
    // lives as seen from here (its directory is searched for .gnu_debuglink files);
    // `display_name` is the module name frames carry (the path in the process's view).
    // Throws ElfError.
    static std::unique_ptr<ElfFile> open_fd(int fd, const std::string& lookup_path,
                                            std::string display_name, const Options& options);
    static std::unique_ptr<ElfFile> open_path(const std::string& path, const Options& options);

    ~ElfFile();
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    const std::string& display_name() const { return display_name_; }
    const std::string& build_id() const { return build_id_; }  // hex, "" when none
    bool has_dwarf();  // finds the debug file if not done yet

    // The link-time virtual address of the byte at `file_offset`, through the PT_LOAD
    // segment holding it. For a process address in a mapping of this file:
    // file_offset = address - mapping start + mapping file offset.
    std::optional<uint64_t> file_offset_to_address(uint64_t file_offset) const;

    // Frames for one link-time address, ROOT FIRST: the real function, then the
    // functions inlined into it down to the innermost (inlined = true). A single
    // "[unknown]" frame when no symbol covers the address. `address` fields are 0.
    // Cached per address.
    const std::vector<StackFrame>& frames(uint64_t address);

  private:
    ElfFile() = default;
    std::vector<StackFrame> resolve(uint64_t address);
    struct CodeRange {
        uint64_t low;  // DWARF addresses, [low, high)
        uint64_t high;
        Dwarf_Die die;  // the subprogram
    };
    static std::vector<CodeRange> unit_functions(Dwarf_Die* unit);
    std::vector<Dwarf_Die> function_chain(uint64_t module_address);
    void load_debug();
    void load_function_symbols();
    // The function symbol containing a libdwfl address, or null.
    const char* function_symbol(uint64_t module_address) const;

    struct LoadSegment {
        uint64_t file_offset;
        uint64_t file_size;
        uint64_t vaddr;
    };
    struct DwflDeleter {
        void operator()(Dwfl* dwfl) const;
    };

    // libdwfl keeps pointers to the callbacks and the search path: they live here, in
    // a heap object that never moves, and are declared before dwfl_ (destroyed after).
    std::string debuginfo_path_;
    char* debuginfo_path_pointer_ = nullptr;
    struct CallbacksHolder;
    std::unique_ptr<CallbacksHolder> callbacks_;
    std::unique_ptr<Dwfl, DwflDeleter> dwfl_;
    Dwfl_Module* module_ = nullptr;  // owned by dwfl_
    uint64_t bias_ = 0;              // libdwfl's address = link-time address + bias_
    std::string display_name_;
    std::string build_id_;
    bool has_dwarf_ = false;
    bool debug_loaded_ = false;
    bool source_lines_ = false;
    std::vector<LoadSegment> segments_;
    struct FunctionSymbol {
        uint64_t start;  // libdwfl address
        uint64_t size;
        const char* name;  // in the ELF string table, alive as long as dwfl_
        bool global;
    };
    std::vector<FunctionSymbol> function_symbols_;  // sorted by start, one per start
    std::unordered_map<uint64_t, std::vector<CodeRange>> unit_functions_;  // by unit offset
    std::unordered_map<uint64_t, std::vector<StackFrame>> cache_;
};

}  // namespace bpfscope::symbols
