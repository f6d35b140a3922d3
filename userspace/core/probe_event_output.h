#pragma once
// trace's event lines: one line per event, text or JSON, with the stacks
// symbolized as the event arrives (so a process that exits right after still
// gets its frames; its comm comes with the event).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/probe_expression.h"
#include "core/probe_session.h"
#include "core/stack_symbols.h"

namespace bpfscope {

// printf-style rendering of the event's fields by the format's conversions:
// %d/%i as int, %u/%x as unsigned int, l/ll for 64 bits, h/hh for 16/8 bits,
// %s strings, %c a character, %p a pointer. Without a format: "name=value" pairs.
std::string format_probe_fields(const FormatSpec* format, const std::vector<FieldValue>& values,
                                const std::vector<FieldExpression>& fields);

struct EventLineOptions {
    bool json = false;
    uint64_t start_ns = 0;  // CLOCK_MONOTONIC of the start: times are relative to it
};

class ProbeEventWriter {
  public:
    ProbeEventWriter(std::ostream& out, const ProbeSession& session, const FormatSpec* format,
                     EventLineOptions options, StackSymbols* symbols);
    void header();  // text only: the column names
    void write(const ProbeEvent& event);

  private:
    std::vector<std::string> stack_lines(const ProbeEvent& event);
    std::ostream& out_;
    const ProbeSession& session_;
    const FormatSpec* format_;
    EventLineOptions options_;
    StackSymbols* symbols_;
};

}  // namespace bpfscope
