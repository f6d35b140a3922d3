#pragma once
// The pprof endpoints of `bpfscope serve` (/debug/pprof/profile and
// /debug/pprof/offcpu): one on-demand profile of every task on the machine for
// `seconds`, symbolized and encoded as gzip profile.proto, the way continuous
// profilers pull Go's net/http/pprof.
#include <atomic>
#include <string>

namespace bpfscope::serve {

// On-CPU stacks sampled at `frequency` Hz per CPU (cpu-clock). Throws UserError.
// Returns early (with what it has) when `stopping` becomes true.
std::string collect_cpu_pprof(double seconds, unsigned frequency,
                              const std::atomic<bool>& stopping);
// Off-CPU time by stack, in microseconds. Throws UserError.
std::string collect_offcpu_pprof(double seconds, const std::atomic<bool>& stopping);

// "seconds" as the query gives it: empty -> `fallback`; else a number in
// (0, max]. Throws UserError naming the problem.
double parse_profile_seconds(const std::string& text, double fallback, double max);

}  // namespace bpfscope::serve
