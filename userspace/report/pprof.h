#pragma once
// pprof export: a StackProfile as a gzip-compressed profile.proto, the format
// `go tool pprof`, Pyroscope, Parca, Grafana and speedscope read.
#include <string>
#include <string_view>

#include "report/stack_profile.h"

namespace bpfscope::report {

// Sample types: {sample_type, unit} with the sample values; when the unit is
// "count" and a period is set, also {"cpu", period_unit} = value * period
// (profile: samples/count + cpu/nanoseconds). Frames become locations (leaf
// first) with one function each, grouped into one mapping per module;
// separator frames ("-") are left out; comm, pid and tid become labels.
// Counts are rounded to integers (the format stores int64).
std::string encode_pprof(const StackProfile& profile);

// Reads what encode_pprof (or any pprof writer) wrote: the first sample type
// becomes the value, labels comm/pid/tid are restored, frames root first.
// Throws UserError on data that is not a gzip-compressed (or plain) profile.
StackProfile decode_pprof(std::string_view data);

// zlib helpers (gzip container).
std::string gzip_compress(std::string_view data);
std::string gzip_decompress(std::string_view data);  // throws UserError

}  // namespace bpfscope::report
