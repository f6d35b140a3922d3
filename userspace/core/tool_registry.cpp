#include "core/tool_registry.h"

#include <algorithm>

namespace bpfscope {

namespace {
std::vector<ToolInfo>& registry() {
    static std::vector<ToolInfo> tools;
    return tools;
}
std::vector<ToolInfo>& drop_in_registry() {
    static std::vector<ToolInfo> entries;
    return entries;
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

bool DropInRegistry::add(ToolInfo info) {
    drop_in_registry().push_back(std::move(info));
    return true;
}

const std::vector<ToolInfo>& DropInRegistry::all() {
    return drop_in_registry();
}

const ToolInfo* DropInRegistry::find(const std::string& name) {
    for (const auto& entry : drop_in_registry())
        if (entry.name == name)
            return &entry;
    return nullptr;
}

}  // namespace bpfscope
