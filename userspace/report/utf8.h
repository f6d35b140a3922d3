#pragma once
// Frame names come from symbol tables, /proc and folded files: any bytes. Every
// writer that needs valid UTF-8 (SVG/XML, pprof's protobuf strings, JSON)
// replaces an invalid byte the same way, with U+FFFD, so one name reads the
// same in every output.
#include <cstddef>
#include <string>
#include <string_view>

namespace bpfscope::report {

// U+FFFD REPLACEMENT CHARACTER, as UTF-8.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at text[0] (1 for ASCII), 0 when
// text[0] starts no valid sequence (stray continuation byte, overlong form,
// surrogate, above U+10FFFF, truncated).
size_t utf8_sequence_length(std::string_view text);

bool is_valid_utf8(std::string_view text);

// `text` with each byte that starts no valid sequence replaced by U+FFFD.
void append_valid_utf8(std::string& out, std::string_view text);
std::string valid_utf8(std::string_view text);

}  // namespace bpfscope::report
