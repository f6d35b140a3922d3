#include "core/tool_registry.h"

#include <algorithm>

namespace bpfscope {

namespace {
std::vector<ToolInfo>& registry() {
    static std::vector<ToolInfo> tools;
    return tools;
}
}  // namespace

bool ToolRegistry::add(ToolInfo info) {
    auto& tools = registry();
    tools.push_back(std::move(info));
    std::sort(tools.begin(), tools.end(),
              [](const ToolInfo& a, const ToolInfo& b) { return a.name < b.name; });
    return true;
}

const std::vector<ToolInfo>& ToolRegistry::all() {
    return registry();
}

const ToolInfo* ToolRegistry::find(const std::string& name) {
    for (const auto& tool : registry()) {
        if (tool.name == name)
            return &tool;
    }
    return nullptr;
}

}  // namespace bpfscope
