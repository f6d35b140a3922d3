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

#include "report/stack_profile.h"

struct Dwfl;
struct Dwfl_Module;

namespace bpfscope::symbols {

class ElfFile {
  public:
    // Takes ownership of `fd` (closed on failure too). `lookup_path` is where the file
    // lives as seen from here (its directory is searched for .gnu_debuglink files);
    // `display_name` is the module name frames carry (the path in the process's view).
    // On failure returns null and sets `error`. Debug files are looked up now, so the
    // result stays usable when lookup_path disappears (e.g. /proc/PID/root of a
    // process that exited).
    static std::unique_ptr<ElfFile> open_fd(int fd, const std::string& lookup_path,
                                            std::string display_name, bool source_lines,
                                            std::string& error);
    static std::unique_ptr<ElfFile> open_path(const std::string& path, bool source_lines,
                                              std::string& error);

    ~ElfFile();
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    const std::string& display_name() const { return display_name_; }
    const std::string& build_id() const { return build_id_; }  // hex, "" when none
    bool has_dwarf() const { return has_dwarf_; }

    // The link-time virtual address of the byte at `file_offset` (through the PT_LOAD
    // segment holding it): process address = mapping start + (this - mapping offset...).
    std::optional<uint64_t> file_offset_to_address(uint64_t file_offset) const;

    // Frames for one link-time address, ROOT FIRST: the real function, then the
    // functions inlined into it down to the innermost (inlined = true). A single
    // "[unknown]" frame when no symbol covers the address. `address` fields are 0.
    // Cached per address.
    const std::vector<report::StackFrame>& frames(uint64_t address);

  private:
    ElfFile() = default;
    std::vector<report::StackFrame> resolve(uint64_t address) const;

    struct LoadSegment {
        uint64_t file_offset;
        uint64_t file_size;
        uint64_t vaddr;
    };
    struct DwflDeleter {
        void operator()(Dwfl* dwfl) const;
    };

    std::unique_ptr<Dwfl, DwflDeleter> dwfl_;
    Dwfl_Module* module_ = nullptr;  // owned by dwfl_
    uint64_t bias_ = 0;              // libdwfl's address = link-time address + bias_
    std::string display_name_;
    std::string build_id_;
    bool has_dwarf_ = false;
    bool source_lines_ = false;
    std::vector<LoadSegment> segments_;
    std::unordered_map<uint64_t, std::vector<report::StackFrame>> cache_;
};

}  // namespace bpfscope::symbols
