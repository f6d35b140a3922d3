#pragma once
// pprof export: a StackProfile as a gzip-compressed profile.proto, the format
// `go tool pprof`, Pyroscope, Parca, Grafana and speedscope read.
#include <string>
#include <string_view>

#include "report/folded.h"
#include "report/stack_profile.h"

namespace bpfscope::report {

// Sample types: {sample_type, unit} with the sample values; when the unit is
// "count" and a period is set, also {"cpu", period_unit} = value * period
// (profile: samples/count + cpu/nanoseconds). Frames become locations (leaf
// first) with one function each, grouped into one mapping per module;
// separator frames ("-") are left out; comm, pid and tid become labels.
// Counts are rounded to integers (the format stores int64).
std::string encode_pprof(const StackProfile& profile);

// Folded stacks (e.g. `bpfscope flamegraph --to-pprof`) straight to pprof,
// without building a StackProfile: one function and location per distinct
// frame name, sample type {sample_type, "count"}. Frames ending in "_[k]" go to
// the "[kernel]" mapping (suffix removed), others to "[unknown]". Counts are
// rounded; `rounded` tells whether any count had a fraction.
std::string encode_pprof_folded(const FoldedStacks& stacks, const std::string& sample_type,
                                bool& rounded);

// Reads what encode_pprof (or any pprof writer) wrote: the first sample type
// becomes the value, labels comm/pid/tid are restored, frames root first.
// Throws UserError on data that is not a gzip-compressed (or plain) profile.
StackProfile decode_pprof(std::string_view data);

// zlib helpers (gzip container).
std::string gzip_compress(std::string_view data);
std::string gzip_decompress(std::string_view data);  // throws UserError

}  // namespace bpfscope::report
