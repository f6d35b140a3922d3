#pragma once
// The tools' usual output step: JSON with -j (json_writer.h), else text (text_writer.h).
#include <ostream>

#include "report/model.h"

namespace bpfscope::report {

void write_report(std::ostream& out, const Report& report, bool json);

}  // namespace bpfscope::report
