#include "core/drop_in_output.h"

namespace bpfscope {

namespace {
// One per process: a run is either native or a drop-in run from main() on.
std::unique_ptr<DropInOutput>& installed() {
    static std::unique_ptr<DropInOutput> output;
    return output;
}
}  // namespace

void install_drop_in_output(std::unique_ptr<DropInOutput> output) {
    installed() = std::move(output);
}

DropInOutput* drop_in_output() {
    return installed().get();
}

}  // namespace bpfscope
