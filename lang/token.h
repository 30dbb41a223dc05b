// Tokens of gyro script (a Python subset): kinds declared once, with their spelling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gyro::lang {

enum class TokenKind : uint8_t {
#define TOKEN(name, spelling) name,
#include "lang/tokens.def"
#undef TOKEN
};
std::string_view token_spelling(TokenKind kind);

struct SourceLocation {
  int line = 1;
  int column = 1;  // 1-based, in bytes
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  SourceLocation location;
  std::string text;  // names and literal source; strings hold their decoded value
};

}  // namespace gyro::lang
