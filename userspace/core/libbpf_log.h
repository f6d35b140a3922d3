#pragma once
// Routes libbpf's messages: warnings always, debug output only with -v.
namespace bpfscope {
void setup_libbpf_logging(bool verbose);
}
