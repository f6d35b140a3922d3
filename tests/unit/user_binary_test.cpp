// Which file a user target names (core/user_binary): "c" and "libc" (the
// README's `funclatency c:malloc`) must resolve to the ELF library the dynamic
// linker loads, never to the "libc.so" linker script next to it (libbpf then
// failed with "Unknown error 4001"); a file that is not ELF is one clear error.
#include "core/user_binary.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"

namespace {

bool starts_with_elf_magic(const std::string& path) {
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
    return magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

std::string error_of(const std::string& target) {
    try {
        bpfscope::resolve_user_binary(target, 0);
    } catch (const bpfscope::UserError& error) {
        return error.what();
    }
    return "";
}

}  // namespace

TEST(UserBinary, LibraryShortNamesResolveToTheLoadedElfLibrary) {
    for (const char* name : {"c", "libc"}) {
        std::string path = bpfscope::resolve_user_binary(name, 0);
        EXPECT_TRUE(starts_with_elf_magic(path)) << name << " -> " << path;
        std::string file = std::filesystem::path(path).filename().string();
        EXPECT_EQ(file.rfind("libc.so.", 0), 0u) << name << " -> " << path;
    }
}

TEST(UserBinary, NonElfAndMissingFilesAreOneClearLine) {
    std::string passwd = error_of("/etc/passwd");
    EXPECT_NE(passwd.find("'/etc/passwd' is not an ELF file"), std::string::npos) << passwd;
    std::string missing = error_of("/no/such/binary");
    EXPECT_NE(missing.find("does not exist"), std::string::npos) << missing;
    std::string library = error_of("nosuchlibrary");
    EXPECT_NE(library.find("library 'nosuchlibrary' not found"), std::string::npos) << library;
    for (const auto& message : {passwd, missing, library})
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}
