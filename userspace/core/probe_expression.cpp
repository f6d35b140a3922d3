#include "core/probe_expression.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <variant>

#include "base/error.h"

namespace bpfscope {

namespace {

enum class TokenKind {
    kIdentifier,
    kInteger,
    kString,
    kArrow,    // ->
    kDot,      // .
    kOpen,     // (
    kClose,    // )
    kComma,    // ,
    kCompare,  // == != < <= > >= =~
    kAnd,      // &&
    kEnd,
};

struct Token {
    TokenKind kind = TokenKind::kEnd;
    std::string text;   // as written (strings: unescaped contents)
    size_t column = 0;  // 1-based, for messages
    std::variant<int64_t, uint64_t> integer;
};

const char* const kFieldHelp =
    "write a field such as arg1, retval, comm, pid, prev_pid, str(arg2) or arg1->member";

bool identifier_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

bool identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// A tokenizer for fields and filters. `what` names the text in messages
// ("filter", "field", "format").
class Lexer {
  public:
    Lexer(const std::string& text, const char* what) : text_(text), what_(what) {}

    [[noreturn]] void fail(size_t column, const std::string& problem) const {
        throw UserError(std::string(what_) + " '" + text_ + "': " + problem + " (column " +
                        std::to_string(column) + ")");
    }

    std::vector<Token> tokens() {
        std::vector<Token> out;
        while (true) {
            while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
                pos_++;
            if (pos_ >= text_.size())
                break;
            out.push_back(next());
        }
        Token end;
        end.kind = TokenKind::kEnd;
        end.column = text_.size() + 1;
        out.push_back(end);
        return out;
    }

  private:
    Token make(TokenKind kind, size_t length) {
        Token token;
        token.kind = kind;
        token.column = pos_ + 1;
        token.text = text_.substr(pos_, length);
        pos_ += length;
        return token;
    }

    bool at(const char* s) const { return text_.compare(pos_, std::strlen(s), s) == 0; }

    Token next() {
        char c = text_[pos_];
        if (identifier_start(c)) {
            size_t end = pos_;
            while (end < text_.size() && identifier_char(text_[end])) end++;
            return make(TokenKind::kIdentifier, end - pos_);
        }
        if (std::isdigit(static_cast<unsigned char>(c)) ||
            (c == '-' && pos_ + 1 < text_.size() &&
             std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))))
            return integer();
        if (c == '"')
            return string();
        if (at("->"))
            return make(TokenKind::kArrow, 2);
        if (at("&&"))
            return make(TokenKind::kAnd, 2);
        for (const char* op : {"==", "!=", "<=", ">=", "=~"})
            if (at(op))
                return make(TokenKind::kCompare, 2);
        if (c == '<' || c == '>')
            return make(TokenKind::kCompare, 1);
        if (c == '.')
            return make(TokenKind::kDot, 1);
        if (c == '(')
            return make(TokenKind::kOpen, 1);
        if (c == ')')
            return make(TokenKind::kClose, 1);
        if (c == ',')
            return make(TokenKind::kComma, 1);
        if (at("||"))
            fail(pos_ + 1, "'||' is not supported: only '&&' joins comparisons");
        if (c == '=')
            fail(pos_ + 1, "'=' is not a comparison: write '==' (or '=~' for a prefix)");
        if (c == '!')
            fail(pos_ + 1, "'!' alone is not supported: write 'FIELD != VALUE'");
        if (c == '\'')
            fail(pos_ + 1, "strings take double quotes: write \"text\"");
        fail(pos_ + 1, std::string("unexpected '") + c + "'");
    }

    Token integer() {
        size_t start = pos_;
        bool negative = text_[pos_] == '-';
        size_t digits = negative ? pos_ + 1 : pos_;
        int base = 10;
        if (text_.compare(digits, 2, "0x") == 0 || text_.compare(digits, 2, "0X") == 0) {
            base = 16;
            digits += 2;
        }
        size_t end = digits;
        while (end < text_.size() &&
               (base == 16 ? std::isxdigit(static_cast<unsigned char>(text_[end]))
                           : std::isdigit(static_cast<unsigned char>(text_[end]))))
            end++;
        std::string body = text_.substr(digits, end - digits);
        if (end < text_.size() && text_[end] == '.')
            fail(start + 1, "'" + text_.substr(start, end + 1 - start) +
                                "...': only integer constants are supported (e.g. 42, -7, 0x2a)");
        if (end < text_.size() && identifier_char(text_[end]))
            fail(end + 1, "bad number '" + text_.substr(start, end + 1 - start) +
                              "': write a decimal (42, -7) or hex (0x2a) integer");
        if (body.empty())
            fail(start + 1, "bad number '" + text_.substr(start, end - start) +
                                "': hex constants need digits after 0x (e.g. 0x2a)");
        if (base == 10 && body.size() > 1 && body[0] == '0')
            fail(start + 1, "ambiguous number '" + text_.substr(start, end - start) +
                                "' (octal in C): drop the leading zero or write hex (0x...)");
        errno = 0;
        uint64_t magnitude = std::strtoull(body.c_str(), nullptr, base);
        Token token = make(TokenKind::kInteger, end - start);
        token.column = start + 1;
        if (errno == ERANGE)
            fail(start + 1, "number '" + token.text + "' does not fit in 64 bits");
        if (negative) {
            constexpr uint64_t kMostNegative = uint64_t(std::numeric_limits<int64_t>::max()) + 1;
            if (magnitude > kMostNegative)
                fail(start + 1, "number '" + token.text + "' does not fit in a signed 64-bit");
            token.integer = magnitude == kMostNegative ? std::numeric_limits<int64_t>::min()
                                                       : -static_cast<int64_t>(magnitude);
        } else {
            token.integer = magnitude;
        }
        return token;
    }

    Token string() {
        size_t start = pos_;
        std::string value;
        size_t i = pos_ + 1;
        for (; i < text_.size() && text_[i] != '"'; i++) {
            if (text_[i] != '\\') {
                value += text_[i];
                continue;
            }
            if (++i >= text_.size())
                break;
            switch (text_[i]) {
                case '"':
                case '\\':
                    value += text_[i];
                    break;
                case 'n':
                    value += '\n';
                    break;
                case 't':
                    value += '\t';
                    break;
                default:
                    fail(i, std::string("unknown escape '\\") + text_[i] +
                                "' in a string: use \\\", \\\\, \\n or \\t");
            }
        }
        if (i >= text_.size())
            fail(start + 1, "string not closed: add the closing '\"'");
        pos_ = i + 1;
        Token token;
        token.kind = TokenKind::kString;
        token.column = start + 1;
        token.text = value;
        return token;
    }

    const std::string& text_;
    const char* what_;
    size_t pos_ = 0;
};

// Recursive descent over the tokens of a field or a filter.
class Parser {
  public:
    Parser(const std::string& text, const char* what)
        : lexer_(text, what), text_(text), tokens_(lexer_.tokens()) {}

    const Token& peek() const { return tokens_[index_]; }
    const Token& take() { return tokens_[index_++]; }
    bool at_end() const { return peek().kind == TokenKind::kEnd; }

    [[noreturn]] void fail(const Token& at, const std::string& problem) const {
        lexer_.fail(at.column, problem);
    }

    static std::string describe(const Token& token) {
        if (token.kind == TokenKind::kEnd)
            return "the end";
        if (token.kind == TokenKind::kString)
            return "\"" + token.text + "\"";
        return "'" + token.text + "'";
    }

    FieldExpression field() {
        size_t first = index_;
        FieldExpression result;
        const Token& name = take();
        if (name.kind != TokenKind::kIdentifier)
            fail(name, "expected a field, found " + describe(name) + ": " + kFieldHelp);
        if (name.text == "str" && peek().kind == TokenKind::kOpen) {
            take();
            if (peek().kind == TokenKind::kIdentifier && peek().text == "str" &&
                tokens_[index_ + 1].kind == TokenKind::kOpen)
                fail(peek(), "str(str(...)) is not supported: str() takes a pointer field");
            result = field();
            const Token& close = take();
            if (close.kind != TokenKind::kClose)
                fail(close, "expected ')' to close str(, found " + describe(close));
            result.string = true;
            if (peek().kind == TokenKind::kArrow || peek().kind == TokenKind::kDot)
                fail(peek(), "a member of str(...) makes no sense: write str(arg1->member)");
        } else {
            result.base = name.text;
            while (peek().kind == TokenKind::kArrow || peek().kind == TokenKind::kDot) {
                bool deref = take().kind == TokenKind::kArrow;
                const Token& member = take();
                if (member.kind != TokenKind::kIdentifier)
                    fail(member, "expected a member name after '" +
                                     std::string(deref ? "->" : ".") + "', found " +
                                     describe(member));
                result.members.push_back(member.text);
                result.member_derefs.push_back(deref);
            }
            if (peek().kind == TokenKind::kOpen)
                fail(peek(), "'" + name.text + "(' is not a function: only str(FIELD) is");
        }
        result.text = text_between(first, index_);
        return result;
    }

    Comparison comparison() {
        Comparison result;
        if (peek().kind == TokenKind::kInteger || peek().kind == TokenKind::kString)
            fail(peek(), "a comparison starts with the field: write FIELD OP VALUE");
        result.field = field();
        const Token& op = take();
        if (op.kind != TokenKind::kCompare)
            fail(op, "expected a comparison (== != < <= > >= =~) after '" + result.field.text +
                         "', found " + describe(op));
        result.op = op.text == "=="   ? CompareOp::kEq
                    : op.text == "!=" ? CompareOp::kNe
                    : op.text == "<"  ? CompareOp::kLt
                    : op.text == "<=" ? CompareOp::kLe
                    : op.text == ">"  ? CompareOp::kGt
                    : op.text == ">=" ? CompareOp::kGe
                                      : CompareOp::kPrefix;
        const Token& value = take();
        if (value.kind == TokenKind::kInteger) {
            if (result.op == CompareOp::kPrefix)
                fail(value, "'=~' matches a string prefix: write =~ \"prefix*\"");
            std::visit([&](auto v) { result.constant = v; }, value.integer);
        } else if (value.kind == TokenKind::kString) {
            if (result.op != CompareOp::kEq && result.op != CompareOp::kNe &&
                result.op != CompareOp::kPrefix)
                fail(op,
                     "strings compare with ==, != or =~ \"prefix*\" only, not '" + op.text + "'");
            std::string constant = value.text;
            if (result.op == CompareOp::kPrefix) {
                if (constant.empty() || constant.back() != '*')
                    fail(value, "a prefix match ends with '*': write =~ \"" + constant + "*\"");
                constant.pop_back();
            }
            if (constant.find('*') != std::string::npos)
                fail(value, result.op == CompareOp::kPrefix
                                ? "only a trailing '*' is supported in =~ \"prefix*\""
                                : "'*' in an == string is literal; for a prefix write "
                                  "=~ \"prefix*\"");
            result.constant = constant;
        } else if (value.kind == TokenKind::kIdentifier) {
            fail(value, "expected a constant after '" + op.text + "', found field '" + value.text +
                            "': compare a field with a number or a \"quoted string\"");
        } else {
            fail(value, "expected a number or a \"string\" after '" + op.text + "', found " +
                            describe(value));
        }
        return result;
    }

  private:
    std::string text_between(size_t first, size_t end) const {
        size_t from = tokens_[first].column - 1;
        size_t to = tokens_[end].column - 1;
        // A string token's column is its opening quote; fields hold no strings,
        // so the span ends where the next token starts (trimmed).
        std::string span = text_.substr(from, to - from);
        while (!span.empty() && std::isspace(static_cast<unsigned char>(span.back())))
            span.pop_back();
        return span;
    }

    Lexer lexer_;
    const std::string& text_;
    std::vector<Token> tokens_;
    size_t index_ = 0;
};

bool blank(const std::string& text) {
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c)))
            return false;
    return true;
}

// The printf part of a format: pieces (literal text + conversion) and the
// number of conversions that take a field.
void parse_printf_text(const std::string& whole, const std::string& text, FormatSpec& spec) {
    auto fail = [&](const std::string& problem) {
        throw UserError("format '" + whole + "': " + problem);
    };
    FormatSpec::Piece piece;
    for (size_t i = 0; i < text.size(); i++) {
        if (text[i] != '%') {
            piece.literal += text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '%') {
            piece.literal += '%';
            i++;
            continue;
        }
        size_t start = i + 1, end = start;
        while (end < text.size() && (text[end] == 'l' || text[end] == 'h')) end++;
        std::string length = text.substr(start, end - start);
        if (end >= text.size())
            fail("'%" + length + "' at the end has no conversion: write %d, %s, ... or %% for '%'");
        char conversion = text[end];
        if (std::isdigit(static_cast<unsigned char>(conversion)) || conversion == '-' ||
            conversion == '+' || conversion == ' ' || conversion == '#' || conversion == '.' ||
            conversion == '*')
            fail("flags, widths and precisions ('%" + length + conversion +
                 "...') are not supported: write a plain conversion such as %d or %llx");
        bool integer = std::string("diuxX").find(conversion) != std::string::npos;
        bool plain = std::string("scp").find(conversion) != std::string::npos;
        bool length_ok =
            length.empty() || length == "l" || length == "ll" || length == "h" || length == "hh";
        if (!(integer && length_ok) && !(plain && length.empty()))
            fail("unknown conversion '%" + length + conversion +
                 "': use %d %i %u %x %X (with l, ll, h, hh), %s, %c, %p or %%");
        piece.conversion = length + conversion;
        spec.pieces.push_back(piece);
        piece = FormatSpec::Piece();
        i = end;
    }
    if (!piece.literal.empty())
        spec.pieces.push_back(piece);
}

}  // namespace

FieldExpression parse_field_expression(const std::string& text) {
    if (blank(text))
        throw UserError(std::string("empty field: ") + kFieldHelp);
    Parser parser(text, "field");
    FieldExpression result = parser.field();
    if (!parser.at_end())
        parser.fail(parser.peek(), "unexpected " + Parser::describe(parser.peek()) +
                                       " after the field '" + result.text + "'");
    return result;
}

FilterExpression parse_filter_expression(const std::string& text) {
    if (blank(text))
        throw UserError(
            "empty filter: write comparisons joined by &&, e.g. 'arg1 > 5 && comm == \"bash\"'");
    Parser parser(text, "filter");
    FilterExpression result;
    while (true) {
        result.comparisons.push_back(parser.comparison());
        if (parser.at_end())
            break;
        const Token& joiner = parser.take();
        if (joiner.kind != TokenKind::kAnd)
            parser.fail(joiner, "expected '&&' or the end after a comparison, found " +
                                    Parser::describe(joiner));
        if (parser.at_end())
            parser.fail(parser.peek(), "'&&' needs a comparison after it");
    }
    if (result.comparisons.size() > kMaxFilterComparisons)
        throw UserError("filter '" + text + "': " + std::to_string(result.comparisons.size()) +
                        " comparisons, at most " + std::to_string(kMaxFilterComparisons) +
                        " are supported: drop some or narrow the probe instead");
    return result;
}

FormatSpec parse_format(const std::string& text) {
    size_t open = text.find_first_not_of(" \t");
    if (open == std::string::npos || text[open] != '"')
        throw UserError("format '" + text +
                        "': start with a quoted printf string, e.g. '\"a=%d b=%d\", arg1, arg2'");
    // Find the closing quote (escapes skipped) and unescape the printf text.
    std::string printf_text;
    size_t i = open + 1;
    for (; i < text.size() && text[i] != '"'; i++) {
        if (text[i] != '\\') {
            printf_text += text[i];
            continue;
        }
        if (++i >= text.size())
            break;
        switch (text[i]) {
            case '"':
            case '\\':
                printf_text += text[i];
                break;
            case 'n':
                printf_text += '\n';
                break;
            case 't':
                printf_text += '\t';
                break;
            default:
                throw UserError("format '" + text + "': unknown escape '\\" + text[i] +
                                "': use \\\", \\\\, \\n or \\t");
        }
    }
    if (i >= text.size())
        throw UserError("format '" + text + "': the printf string is not closed: add a '\"'");
    FormatSpec spec;
    parse_printf_text(text, printf_text, spec);

    // The fields: ', FIELD' repeated. Fields hold no commas and no strings.
    std::string rest = text.substr(i + 1);
    size_t at = 0;
    while (true) {
        size_t comma = rest.find(',', at);
        if (at == 0) {
            std::string before = rest.substr(0, comma);
            if (!blank(before))
                throw UserError("format '" + text +
                                "': expected ',' after the printf string, found '" + before +
                                "': write '\"...\", FIELD, FIELD'");
            if (comma == std::string::npos)
                break;
            at = comma + 1;
            continue;
        }
        std::string piece = rest.substr(at, comma == std::string::npos ? comma : comma - at);
        if (blank(piece))
            throw UserError("format '" + text + "': empty field between commas: " + kFieldHelp);
        try {
            size_t first = piece.find_first_not_of(" \t"), last = piece.find_last_not_of(" \t");
            spec.fields.push_back(parse_field_expression(piece.substr(first, last + 1 - first)));
        } catch (const UserError& error) {
            throw UserError("format '" + text + "': " + error.what());
        }
        if (comma == std::string::npos)
            break;
        at = comma + 1;
    }
    size_t conversions = 0;
    for (const auto& piece : spec.pieces)
        if (!piece.conversion.empty())
            conversions++;
    if (conversions != spec.fields.size())
        throw UserError("format '" + text + "': " + std::to_string(conversions) +
                        " conversion(s) but " + std::to_string(spec.fields.size()) +
                        " field(s): give one field per %-conversion");
    return spec;
}

const char* compare_op_text(CompareOp op) {
    switch (op) {
        case CompareOp::kEq:
            return "==";
        case CompareOp::kNe:
            return "!=";
        case CompareOp::kLt:
            return "<";
        case CompareOp::kLe:
            return "<=";
        case CompareOp::kGt:
            return ">";
        case CompareOp::kGe:
            return ">=";
        case CompareOp::kPrefix:
            return "=~";
    }
    return "?";
}

}  // namespace bpfscope
