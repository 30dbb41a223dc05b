// Lexer: one pass over the bytes; an indent stack turns leading spaces into INDENT/DEDENT and
// brackets suspend newlines, as in CPython's tokenizer.
#include "lang/lexer.h"

#include <array>
#include <charconv>

namespace gyro::lang {

namespace {

constexpr std::string_view kSpellings[] = {
#define TOKEN(name, spelling) spelling,
#include "lang/tokens.def"
#undef TOKEN
};

constexpr int kNumTokenKinds = sizeof(kSpellings) / sizeof(kSpellings[0]);

bool is_name_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool is_name_char(unsigned char c) {
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

class Lexer {
 public:
  Lexer(std::string_view source, std::string_view filename)
      : source_(source), filename_(filename) {}

  Expected<std::vector<Token>> run() {
    indents_.push_back(0);
    at_line_start_ = true;
    while (true) {
      if (at_line_start_ && depth_ == 0) GYRO_TRY(indentation());
      skip_blanks();
      if (pos_ >= source_.size()) break;
      char c = source_[pos_];
      if (c == '#') {
        while (pos_ < source_.size() && source_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '\\' && pos_ + 1 < source_.size() && source_[pos_ + 1] == '\n') {
        advance(2);  // explicit line joining
        continue;
      }
      if (c == '\n') {
        if (depth_ == 0 && !tokens_.empty() && tokens_.back().kind != TokenKind::kNewline)
          emit(TokenKind::kNewline, location(), "");
        advance(1);
        // Inside brackets the next line continues this one: its indentation means nothing
        // (measured after the closing bracket instead, it dedented mid-line).
        at_line_start_ = depth_ == 0;
        continue;
      }
      GYRO_TRY(token());
    }
    if (depth_ > 0)
      return error(ErrorKind::SyntaxError, open_brackets_.back(), "'{}' was never closed",
                   bracket_chars_.back());
    if (!tokens_.empty() && tokens_.back().kind != TokenKind::kNewline)
      emit(TokenKind::kNewline, location(), "");
    while (indents_.size() > 1) {
      indents_.pop_back();
      emit(TokenKind::kDedent, location(), "");
    }
    emit(TokenKind::kEnd, location(), "");
    return std::move(tokens_);
  }

 private:
  template <typename... Args>
  Error error(ErrorKind kind, SourceLocation where, fmt::format_string<Args...> format,
              Args&&... args) const {
    return make_error(kind, "{}:{}:{}: {}", filename_, where.line, where.column,
                      fmt::format(format, std::forward<Args>(args)...));
  }

  SourceLocation location() const { return {line_, static_cast<int>(pos_ - line_start_) + 1}; }
  void advance(std::size_t count) {
    for (std::size_t i = 0; i < count && pos_ < source_.size(); ++i) {
      if (source_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
      ++pos_;
    }
  }
  void emit(TokenKind kind, SourceLocation where, std::string text) {
    tokens_.push_back(Token{kind, where, std::move(text)});
  }
  void skip_blanks() {
    while (pos_ < source_.size() && (source_[pos_] == ' ' || source_[pos_] == '\t' ||
                                     source_[pos_] == '\r' || source_[pos_] == '\f'))
      ++pos_;
  }

  // At the start of a logical line: measure indentation; blank and comment lines don't count.
  Status indentation() {
    std::size_t probe = pos_;
    int width = 0;
    while (probe < source_.size() && (source_[probe] == ' ' || source_[probe] == '\t')) {
      width = source_[probe] == '\t' ? (width / 8 + 1) * 8 : width + 1;
      ++probe;
    }
    if (probe >= source_.size() || source_[probe] == '\n' || source_[probe] == '#' ||
        source_[probe] == '\r')
      return {};  // nothing on this line
    pos_ = probe;
    at_line_start_ = false;
    SourceLocation where = location();
    if (width > indents_.back()) {
      // Whether an indent is allowed here is the parser's call (it knows the statement).
      indents_.push_back(width);
      emit(TokenKind::kIndent, where, "");
      return {};
    }
    while (width < indents_.back()) {
      indents_.pop_back();
      emit(TokenKind::kDedent, where, "");
    }
    if (width != indents_.back())
      return error(ErrorKind::IndentationError, where,
                   "unindent does not match any outer indentation level");
    return {};
  }

  Status token() {
    SourceLocation where = location();
    unsigned char c = static_cast<unsigned char>(source_[pos_]);
    if (is_name_start(c)) {
      // String prefixes r/R before a quote.
      if ((c == 'r' || c == 'R') && pos_ + 1 < source_.size() &&
          (source_[pos_ + 1] == '\'' || source_[pos_ + 1] == '"')) {
        advance(1);
        return string(where, /*raw=*/true);
      }
      std::size_t start = pos_;
      while (pos_ < source_.size() && is_name_char(static_cast<unsigned char>(source_[pos_])))
        ++pos_;
      std::string_view word = source_.substr(start, pos_ - start);
      for (int k = static_cast<int>(TokenKind::kAnd); k <= static_cast<int>(TokenKind::kFrom); ++k)
        if (kSpellings[k] == word) {
          emit(static_cast<TokenKind>(k), where, std::string(word));
          return {};
        }
      emit(TokenKind::kName, where, std::string(word));
      return {};
    }
    if (std::isdigit(c) || (c == '.' && pos_ + 1 < source_.size() &&
                            std::isdigit(static_cast<unsigned char>(source_[pos_ + 1]))))
      return number(where);
    if (c == '\'' || c == '"') return string(where, /*raw=*/false);
    // Operators: the longest spelling that matches.
    int best = -1;
    std::size_t best_length = 0;
    for (int k = static_cast<int>(TokenKind::kLParen); k < kNumTokenKinds; ++k) {
      std::string_view spelling = kSpellings[k];
      if (spelling.size() > best_length && source_.substr(pos_, spelling.size()) == spelling) {
        best = k;
        best_length = spelling.size();
      }
    }
    if (best < 0) {
      if (c == '!') return error(ErrorKind::SyntaxError, where, "invalid syntax");
      return error(ErrorKind::SyntaxError, where, "invalid character '{}' (U+{:04X})",
                   static_cast<char>(c), c);
    }
    auto kind = static_cast<TokenKind>(best);
    if (kind == TokenKind::kLParen || kind == TokenKind::kLBracket || kind == TokenKind::kLBrace) {
      ++depth_;
      open_brackets_.push_back(where);
      bracket_chars_.push_back(static_cast<char>(c));
    } else if (kind == TokenKind::kRParen || kind == TokenKind::kRBracket ||
               kind == TokenKind::kRBrace) {
      char open = kind == TokenKind::kRParen ? '(' : kind == TokenKind::kRBracket ? '[' : '{';
      if (depth_ == 0)
        return error(ErrorKind::SyntaxError, where, "unmatched '{}'", static_cast<char>(c));
      if (bracket_chars_.back() != open)
        return error(ErrorKind::SyntaxError, where,
                     "closing parenthesis '{}' does not match opening parenthesis '{}'",
                     static_cast<char>(c), bracket_chars_.back());
      --depth_;
      open_brackets_.pop_back();
      bracket_chars_.pop_back();
    }
    emit(kind, where, std::string(kSpellings[best]));
    advance(best_length);
    return {};
  }

  Status number(SourceLocation where) {
    std::size_t start = pos_;
    auto digits = [&](auto accept) {
      while (pos_ < source_.size() &&
             (accept(static_cast<unsigned char>(source_[pos_])) || source_[pos_] == '_'))
        ++pos_;
    };
    bool is_float = false;
    if (source_[pos_] == '0' && pos_ + 1 < source_.size() &&
        std::string_view("xXoObB").find(source_[pos_ + 1]) != std::string_view::npos) {
      char base_char = static_cast<char>(std::tolower(source_[pos_ + 1]));
      pos_ += 2;
      int base = base_char == 'x' ? 16 : base_char == 'o' ? 8 : 2;
      digits([&](unsigned char ch) { return std::isxdigit(ch) != 0; });
      std::string text;
      for (char ch : source_.substr(start + 2, pos_ - start - 2))
        if (ch != '_') text += ch;
      int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return error(ErrorKind::SyntaxError, where, "invalid {} literal",
                     base == 16  ? "hexadecimal"
                     : base == 8 ? "octal"
                                 : "binary");
      emit(TokenKind::kInt, where, std::to_string(value));
      return {};
    }
    digits([](unsigned char ch) { return std::isdigit(ch) != 0; });
    if (pos_ < source_.size() && source_[pos_] == '.') {
      is_float = true;
      ++pos_;
      digits([](unsigned char ch) { return std::isdigit(ch) != 0; });
    }
    if (pos_ < source_.size() && (source_[pos_] == 'e' || source_[pos_] == 'E')) {
      std::size_t mark = pos_++;
      if (pos_ < source_.size() && (source_[pos_] == '+' || source_[pos_] == '-')) ++pos_;
      if (pos_ < source_.size() && std::isdigit(static_cast<unsigned char>(source_[pos_]))) {
        is_float = true;
        digits([](unsigned char ch) { return std::isdigit(ch) != 0; });
      } else {
        pos_ = mark;
      }
    }
    if (pos_ < source_.size() && is_name_char(static_cast<unsigned char>(source_[pos_])))
      return error(ErrorKind::SyntaxError, where, "invalid decimal literal");
    std::string text;
    for (char ch : source_.substr(start, pos_ - start))
      if (ch != '_') text += ch;
    if (!is_float) {
      int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec == std::errc::result_out_of_range)
        return error(ErrorKind::SyntaxError, where,
                     "integer literal {} does not fit in 64 bits (gyro ints are 64-bit)", text);
      if (text.size() > 1 && text[0] == '0' && value != 0)
        return error(ErrorKind::SyntaxError, where,
                     "leading zeros in decimal integer literals are not permitted; use an 0o "
                     "prefix for octal integers");
      (void)end;
    }
    emit(is_float ? TokenKind::kFloat : TokenKind::kInt, where, std::move(text));
    return {};
  }

  Status string(SourceLocation where, bool raw) {
    char quote = source_[pos_];
    bool triple = source_.substr(pos_, 3) == std::string(3, quote);
    advance(triple ? 3 : 1);
    std::string value;
    while (true) {
      if (pos_ >= source_.size())
        return error(
            ErrorKind::SyntaxError, where, "{}",
            triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
      char c = source_[pos_];
      if (!triple && c == '\n')
        return error(ErrorKind::SyntaxError, where, "unterminated string literal");
      if (c == quote && (!triple || source_.substr(pos_, 3) == std::string(3, quote))) {
        advance(triple ? 3 : 1);
        break;
      }
      if (c == '\\' && !raw && pos_ + 1 < source_.size()) {
        char e = source_[pos_ + 1];
        advance(2);
        switch (e) {
          case '\n':
            break;  // line continuation inside the literal
          case 'n':
            value += '\n';
            break;
          case 't':
            value += '\t';
            break;
          case 'r':
            value += '\r';
            break;
          case 'a':
            value += '\a';
            break;
          case 'b':
            value += '\b';
            break;
          case 'f':
            value += '\f';
            break;
          case 'v':
            value += '\v';
            break;
          case 'N':
            // Python's \N{name}: gyro has no table of Unicode names.
            return error(ErrorKind::SyntaxError, where,
                         "\\N{{...}} escapes are not supported in gyro script; write the "
                         "character or a \\u escape");
          case '\\':
            value += '\\';
            break;
          case '\'':
            value += '\'';
            break;
          case '"':
            value += '"';
            break;
          case 'x':
          case 'u':
          case 'U': {
            std::size_t count = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t code_point = 0;
            auto hex = source_.substr(pos_, count);
            auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), code_point, 16);
            if (hex.size() != count || ec != std::errc() || end != hex.data() + hex.size())
              return error(ErrorKind::SyntaxError, where, "truncated \\{}{} escape", e,
                           std::string(count, 'X'));
            if (code_point > 0x10FFFF)
              return error(ErrorKind::SyntaxError, where, "illegal Unicode character");
            advance(count);
            append_utf8(value, code_point);
            break;
          }
          default:
            if (e >= '0' && e <= '7') {
              // Up to three octal digits (\0, \012, \777), as Python.
              uint32_t code_point = static_cast<uint32_t>(e - '0');
              for (int more = 0; more < 2 && pos_ < source_.size(); ++more) {
                const char digit = source_[pos_];
                if (digit < '0' || digit > '7') break;
                code_point = code_point * 8 + static_cast<uint32_t>(digit - '0');
                advance(1);
              }
              append_utf8(value, code_point);
              break;
            }
            value += '\\';  // unknown escapes stay as written, as in Python
            value += e;
        }
        continue;
      }
      if (c == '\\' && raw && pos_ + 1 < source_.size()) {
        value += c;
        value += source_[pos_ + 1];
        advance(2);
        continue;
      }
      value += c;
      advance(1);
    }
    emit(TokenKind::kString, where, std::move(value));
    return {};
  }

  std::string_view source_;
  std::string_view filename_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
  int depth_ = 0;
  bool at_line_start_ = true;
  std::vector<int> indents_;
  std::vector<SourceLocation> open_brackets_;
  std::vector<char> bracket_chars_;
  std::vector<Token> tokens_;
};

}  // namespace

std::string_view token_spelling(TokenKind kind) {
  return kSpellings[static_cast<int>(kind)];
}

Expected<std::vector<Token>> tokenize(std::string_view source, std::string_view filename) {
  return Lexer(source, filename).run();
}

}  // namespace gyro::lang
