// The pstack report: the capture as report sections, for the text and JSON writers.
#include <fmt/format.h>

#include "core/live_stacks.h"
#include "report/model.h"

namespace bpfscope {

namespace {

std::string module_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

report::Table user_table(const std::vector<StackFrame>& frames, bool source_lines) {
    report::Table table{"user stack", {"#", "address", "function", "module"}, {}};
    if (source_lines)
        table.columns.push_back("source");
    for (size_t i = 0; i < frames.size(); ++i) {
        const StackFrame& frame = frames[i];
        std::vector<report::Value> row{
            fmt::format("#{}", i),
            frame.inlined ? std::string("(inlined)") : fmt::format("0x{:016x}", frame.address),
            frame.name, module_name(frame.module)};
        if (source_lines)
            row.push_back(frame.line > 0 ? fmt::format("{}:{}", frame.file, frame.line)
                                         : std::string());
        table.rows.push_back(std::move(row));
    }
    return table;
}

report::Table kernel_table(const std::vector<StackFrame>& frames) {
    report::Table table{"kernel stack", {"#", "function"}, {}};
    for (size_t i = 0; i < frames.size(); ++i)
        table.rows.push_back({fmt::format("#{}", i), frames[i].name});
    return table;
}

}  // namespace

report::Report live_stacks_report(const LiveStacks& stacks, bool source_lines) {
    report::Report report;
    report.tool = "pstack";
    report.header = {{"pid", uint64_t(stacks.pid), ""},
                     {"comm", stacks.comm, ""},
                     {"threads", uint64_t(stacks.threads.size()), ""},
                     {"elapsed", double(stacks.elapsed_ns) / 1e6, "ms"}};
    uint64_t longest_hold = 0;
    for (const ThreadStack& thread : stacks.threads) {
        auto& section =
            report.add_section(fmt::format("Thread {} ({})", thread.tid, thread.comm), "thread");
        section.add("tid", uint64_t(thread.tid));
        section.add("state", std::string(1, thread.state));
        section.add("wchan", thread.wchan);
        section.add("held", double(thread.stopped_ns) / 1e6, "ms");
        longest_hold = std::max(longest_hold, thread.stopped_ns);
        if (!thread.user.empty())
            section.tables.push_back(user_table(thread.user, source_lines));
        if (!thread.user_problem.empty())
            section.notes.push_back("no user stack: " + thread.user_problem);
        if (!thread.kernel.empty())
            section.tables.push_back(kernel_table(thread.kernel));
        if (!thread.kernel_problem.empty())
            section.notes.push_back("no kernel stack: " + thread.kernel_problem);
    }
    report.header.push_back({"longest_hold", double(longest_hold) / 1e6, "ms"});
    if (stacks.threads_gone)
        report.warnings.push_back(
            fmt::format("{} thread(s) exited while their stacks were read", stacks.threads_gone));
    return report;
}

}  // namespace bpfscope
