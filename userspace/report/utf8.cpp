#include "report/utf8.h"

namespace bpfscope::report {

size_t utf8_sequence_length(std::string_view text) {
    if (text.empty())
        return 0;
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;
    size_t length = lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
    if (length == 0 || text.size() < length)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((byte(i) & 0xC0) != 0x80)
            return 0;
    }
    // Overlong 3/4-byte forms, surrogates and code points above U+10FFFF.
    if (lead == 0xE0 && byte(1) < 0xA0)
        return 0;
    if (lead == 0xED && byte(1) >= 0xA0)
        return 0;
    if (lead == 0xF0 && byte(1) < 0x90)
        return 0;
    if (lead == 0xF4 && byte(1) >= 0x90)
        return 0;
    return length;
}

bool is_valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

void append_valid_utf8(std::string& out, std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0) {
            out += kUtf8Replacement;
            i++;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
}

std::string valid_utf8(std::string_view text) {
    if (is_valid_utf8(text))
        return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    append_valid_utf8(out, text);
    return out;
}

}  // namespace bpfscope::report
