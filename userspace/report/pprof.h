#pragma once
// pprof export: a StackProfile as a gzip-compressed profile.proto, the format
// `go tool pprof`, Pyroscope, Parca, Grafana and speedscope read.
#include <string>
#include <string_view>

#include "report/folded.h"
#include "report/stack_profile.h"

namespace bpfscope::report {

// What encoding changed, for the caller to warn about (nothing is changed silently).
struct PprofNotes {
    size_t rounded = 0;    // fractional counts rounded to the nearest integer
    size_t saturated = 0;  // counts (or count x period) above 2^63-1 written as 2^63-1
};

// One warning line for the notes ("" when nothing was changed).
std::string pprof_notes_warning(const PprofNotes& notes);

// Sample types: {sample_type, unit} with the sample values; when the unit is
// "count" and a period is set, also {"cpu", period_unit} = value * period
// (profile: samples/count + cpu/nanoseconds). Frames become locations (leaf
// first) with one function each, grouped into one mapping per module;
// separator frames ("-") are left out; comm, pid and tid become labels.
// Counts are exact integers; pprof stores int64, so a count above 2^63-1
// saturates there (counted in `notes`). Strings that are not valid UTF-8 (which
// protobuf refuses) get U+FFFD for each bad byte, as in the SVG.
std::string encode_pprof(const StackProfile& profile, PprofNotes* notes = nullptr);

// Folded stacks (e.g. `bpfscope flamegraph --to-pprof`) straight to pprof,
// without building a StackProfile: one function and location per distinct
// frame name, sample type {sample_type, "count"}. Frames ending in "_[k]" go to
// the "[kernel]" mapping (suffix removed), others to "[unknown]". Counts are
// the exact integers of the text (FoldedStacks::Stack::exact_count); fractions
// are rounded and counts above 2^63-1 saturate, both counted in `notes`.
std::string encode_pprof_folded(const FoldedStacks& stacks, const std::string& sample_type,
                                PprofNotes& notes);

// Reads what encode_pprof (or any pprof writer) wrote: the first sample type
// becomes the value, labels comm/pid/tid are restored, frames root first.
// Throws UserError on data that is not a gzip-compressed (or plain) profile.
StackProfile decode_pprof(std::string_view data);

// zlib helpers (gzip container).
std::string gzip_compress(std::string_view data);
// Every member of a (possibly multi-member) gzip stream; throws UserError naming
// `what` on corrupt or truncated data.
std::string gzip_decompress(std::string_view data, std::string_view what = "pprof profile");

}  // namespace bpfscope::report
