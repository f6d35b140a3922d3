// bpfscope caps: what this kernel lets BPF tracing do, learned by trying.
#include <iostream>

#include "base/options.h"
#include "core/capabilities.h"
#include "core/tool_registry.h"
#include "core/tracefs.h"
#include "report/json_writer.h"
#include "report/text_writer.h"

namespace {

int caps_main(int argc, char** argv) {
    bpfscope::ToolOptions cli("caps",
                              "Probe which BPF program kinds load and attach on this kernel");
    bool json = false;
    cli.json(json);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    const auto& facts = bpfscope::kernel_facts();
    const auto& tracefs = bpfscope::ensure_tracefs();
    bpfscope::report::Report report;
    report.tool = "caps";
    report.header = {
        {"kernel_release", facts.release, ""},
        {"btf", facts.btf, ""},
        {"lockdown", facts.lockdown, ""},
        {"tracefs",
         tracefs.mounted
             ? (tracefs.mounted_by_us ? "mounted by bpfscope at " : "mounted at ") + tracefs.path
             : tracefs.problem,
         ""},
        {"kprobe_pmu", facts.kprobe_pmu, ""},
        {"uprobe_pmu", facts.uprobe_pmu, ""}};
    bpfscope::report::Table table{"", {"program", "status", "errno", "reason"}, {}};
    for (auto kind : bpfscope::all_program_kinds()) {
        const auto& capability = bpfscope::probe_capability(kind);
        auto& section = report.add_section(bpfscope::program_kind_name(kind), "capability");
        section.add("status", std::string(bpfscope::capability_status_name(capability.status)));
        section.add("errno", int64_t(capability.error));
        section.add("reason", capability.reason);
        std::string code = capability.error ? strerrorname_np(capability.error) : "-";
        table.rows.push_back({std::string(bpfscope::program_kind_name(kind)),
                              std::string(bpfscope::capability_status_name(capability.status)),
                              code, capability.reason});
    }
    if (json) {
        bpfscope::report::write_json(std::cout, report);
    } else {
        // The text form is one table, easier to scan than a block per kind.
        bpfscope::report::Report text = report;
        text.sections.clear();
        text.add_section("capabilities", "capability").tables.push_back(table);
        bpfscope::report::write_text(std::cout, text);
    }
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("caps", "what BPF program kinds this kernel allows (tried for real)",
                       caps_main);
