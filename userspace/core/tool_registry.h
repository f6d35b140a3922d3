#pragma once
// Every tool driver registers itself with BPFSCOPE_REGISTER_TOOL; main()
// dispatches on argv[0] (bcc-style symlink) or on the first argument.
#include <string>
#include <vector>

namespace bpfscope {

// argv[0] is the tool name; the driver parses the rest itself.
using ToolMain = int (*)(int argc, char** argv);

struct ToolInfo {
    std::string name;
    std::string summary;
    ToolMain main;
};

class ToolRegistry {
  public:
    static bool add(ToolInfo info);
    static const std::vector<ToolInfo>& all();
    static const ToolInfo* find(const std::string& name);
};

// libbpf-tools drop-in entries (userspace/tools/compat/): invoked through a
// symlink with this name, main() runs the drop-in entry instead of the tool;
// `bpfscope <tool>` always runs the tool itself.
class DropInRegistry {
  public:
    static bool add(ToolInfo info);
    static const std::vector<ToolInfo>& all();
    static const ToolInfo* find(const std::string& name);
};

}  // namespace bpfscope

#define BPFSCOPE_REGISTER_DROP_IN(name, function)                               \
    static const bool bpfscope_drop_in_registered_##function [[maybe_unused]] = \
        ::bpfscope::DropInRegistry::add({name, "libbpf-tools drop-in", function})

#define BPFSCOPE_REGISTER_TOOL(name, summary, function)                      \
    static const bool bpfscope_tool_registered_##function [[maybe_unused]] = \
        ::bpfscope::ToolRegistry::add({name, summary, function})
