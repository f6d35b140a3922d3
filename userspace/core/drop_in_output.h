#pragma once
// The libbpf-tools drop-in mode. Run through a symlink named like a
// libbpf-tools tool (build/bin/runqlat -> bpfscope), a tool accepts that
// tool's options and prints its text: the tool's drop-in entry
// (userspace/tools/compat/<tool>_compat.cpp) parses the options, installs a
// DropInOutput and calls the native driver, which hands every report to the
// installed output instead of its own writers. `bpfscope runqlat` never
// installs one.
#include <memory>

#include "report/model.h"
#include "report/stack_profile.h"

namespace bpfscope {

class DropInOutput {
  public:
    virtual ~DropInOutput() = default;
    // Once everything is attached (run_loop calls it): where libbpf-tools
    // prints its banner ("Tracing run queue latency... Hit Ctrl-C to end.").
    virtual void started() {}
    // One report: each interval, and the last one with final = true. Stack
    // tools pass their profile, the others nullptr.
    virtual void write(const report::Report& report, const report::StackProfile* stacks,
                       bool final) = 0;
};

void install_drop_in_output(std::unique_ptr<DropInOutput> output);
// The installed output, or nullptr in native mode.
DropInOutput* drop_in_output();

}  // namespace bpfscope
