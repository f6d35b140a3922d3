#pragma once
// Human-readable rendering of a Report: header lines, one block per section
// with its fields, a bpftrace-style log2 histogram ("[4K, 8K)  12 |@@@@  |"),
// tables and notes, then the warnings.
#include <ostream>
#include <string>

#include "report/model.h"

namespace bpfscope::report {

// precision: digits after the point of a double; -1 adapts to the magnitude.
std::string format_value(const Value& value, int precision = -1);
// "1K", "4M": the compact power-of-two bound labels bpftrace uses.
std::string format_bound(uint64_t value);
std::string render_histogram(const Log2Histogram& histogram, unsigned bar_width = 40);
std::string render_table(const Table& table);
void write_text(std::ostream& out, const Report& report);

}  // namespace bpfscope::report
