#include "report/write_report.h"

#include "report/json_writer.h"
#include "report/text_writer.h"

namespace bpfscope::report {

void write_report(std::ostream& out, const Report& report, bool json) {
    if (json)
        write_json(out, report);
    else
        write_text(out, report);
}

}  // namespace bpfscope::report
