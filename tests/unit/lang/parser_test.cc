// The gyro script lexer and parser: tree shapes (as dumps), precedence, and every error with
// its file:line:col.
#include <gtest/gtest.h>

#include "lang/lexer.h"
#include "lang/parser.h"
#include "tests/unit/test_support.h"

using namespace gyro;
using namespace gyro::lang;
using gyro::testing::fails_with;

namespace {

std::string tree(std::string_view source) {
  auto module = parse(source, "t.gy");
  if (!module.ok()) return "error: " + module.error().to_string();
  return dump(*module);
}

std::string first_statement(std::string_view source) {
  std::string text = tree(source);
  return text.substr(0, text.find('\n'));
}

}  // namespace

TEST(Lexer, IndentationBecomesIndentAndDedentTokens) {
  auto tokens = tokenize("if x:\n    y = 1\nz\n", "t.gy");
  ASSERT_TRUE(tokens.ok()) << tokens.error().to_string();
  std::vector<TokenKind> kinds;
  for (const Token& token : *tokens) kinds.push_back(token.kind);
  EXPECT_EQ(kinds, (std::vector<TokenKind>{
                       TokenKind::kIf, TokenKind::kName, TokenKind::kColon, TokenKind::kNewline,
                       TokenKind::kIndent, TokenKind::kName, TokenKind::kAssign, TokenKind::kInt,
                       TokenKind::kNewline, TokenKind::kDedent, TokenKind::kName,
                       TokenKind::kNewline, TokenKind::kEnd}));
  EXPECT_EQ((*tokens)[5].location.line, 2);
  EXPECT_EQ((*tokens)[5].location.column, 5);
}

TEST(Lexer, BracketsJoinLinesAndCommentsVanish) {
  auto tokens = tokenize("x = (1,  # one\n     2)\n", "t.gy");
  ASSERT_TRUE(tokens.ok());
  int newlines = 0;
  for (const Token& token : *tokens) newlines += token.kind == TokenKind::kNewline;
  EXPECT_EQ(newlines, 1);
}

TEST(Lexer, ABracketClosedOnAContinuationLineInsideABlockDoesNotDedent) {
  // The continuation line's indentation was measured after the closing bracket, mid-line, so
  // the `:` came after a DEDENT.
  EXPECT_EQ(tree("for n in m:\n    for a in [1,\n              2]:\n        f(a)\n"),
            "For@1 n in m\n  For@2 a in (list 1 2)\n    Expr@4 (call f a)\n");
}

TEST(Lexer, LiteralsDecode) {
  auto tokens = tokenize("'a\\tb\\x41' \"q'\" r'\\n' 0x1F 1_000 2.5e-3 .5 '''x\ny'''\n", "t.gy");
  ASSERT_TRUE(tokens.ok()) << tokens.error().to_string();
  EXPECT_EQ((*tokens)[0].text, "a\tbA");
  EXPECT_EQ((*tokens)[1].text, "q'");
  EXPECT_EQ((*tokens)[2].text, "\\n");
  EXPECT_EQ((*tokens)[3].text, "31");
  EXPECT_EQ((*tokens)[4].text, "1000");
  EXPECT_EQ((*tokens)[5].kind, TokenKind::kFloat);
  EXPECT_EQ((*tokens)[6].text, ".5");
  EXPECT_EQ((*tokens)[7].text, "x\ny");
}

TEST(Lexer, StringEscapesFollowPython) {
  auto tokens = tokenize(R"('\a\b\f\v' '\0\12\101\7777' '\U0001F600\u00e9' '\q\8')", "t.gy");
  ASSERT_TRUE(tokens.ok()) << tokens.error().to_string();
  EXPECT_EQ((*tokens)[0].text, "\a\b\f\v");
  // Octal takes up to three digits: \7777 is U+01FF, then a literal 7.
  EXPECT_EQ((*tokens)[1].text, std::string("\0\nA", 3) + "\xC7\xBF" + "7");
  EXPECT_EQ((*tokens)[2].text, "\xF0\x9F\x98\x80\xC3\xA9");
  EXPECT_EQ((*tokens)[3].text, "\\q\\8");  // unknown escapes stay as written
  EXPECT_TRUE(fails_with(tokenize(R"('\U00110000')", "t.gy"), ErrorKind::SyntaxError,
                         "illegal Unicode character"));
  EXPECT_TRUE(fails_with(tokenize(R"('\N{BULLET}')", "t.gy"), ErrorKind::SyntaxError,
                         "escapes are not supported in gyro script"));
  EXPECT_TRUE(fails_with(tokenize(R"('\U0001F60')", "t.gy"), ErrorKind::SyntaxError,
                         R"(truncated \UXXXXXXXX escape)"));
}

TEST(Lexer, ErrorsNameTheFileLineAndColumn) {
  EXPECT_TRUE(fails_with(tokenize("x = $\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:5: invalid character '$'"));
  EXPECT_TRUE(fails_with(tokenize("s = 'abc\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:5: unterminated string literal"));
  EXPECT_TRUE(fails_with(tokenize("x = (1,\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:5: '(' was never closed"));
  EXPECT_TRUE(
      fails_with(tokenize("x = 1)\n", "t.gy"), ErrorKind::SyntaxError, "t.gy:1:6: unmatched ')'"));
  EXPECT_TRUE(fails_with(tokenize("if x:\n    a\n  b\n", "t.gy"), ErrorKind::IndentationError,
                         "t.gy:3:3: unindent does not match any outer indentation level"));
  EXPECT_TRUE(fails_with(tokenize("x = 012\n", "t.gy"), ErrorKind::SyntaxError,
                         "leading zeros in decimal integer literals"));
  EXPECT_TRUE(fails_with(tokenize("x = 99999999999999999999\n", "t.gy"), ErrorKind::SyntaxError,
                         "does not fit in 64 bits"));
}

TEST(Parser, PrecedenceFollowsPython) {
  EXPECT_EQ(first_statement("-2 ** 2\n"), "Expr@1 (neg (** 2 2))");
  EXPECT_EQ(first_statement("2 ** -1\n"), "Expr@1 (** 2 (neg 1))");
  EXPECT_EQ(first_statement("a + b * c - d\n"), "Expr@1 (- (+ a (* b c)) d)");
  EXPECT_EQ(first_statement("a or b and not c\n"), "Expr@1 (or a (and b (not c)))");
  EXPECT_EQ(first_statement("1 < x <= 3 != y\n"), "Expr@1 (compare 1 < x <= 3 != y)");
  EXPECT_EQ(first_statement("x is not None and y not in z\n"),
            "Expr@1 (and (compare x is not None) (compare y not in z))");
  EXPECT_EQ(first_statement("a | b ^ c & d << 1\n"), "Expr@1 (| a (^ b (& c (<< d 1))))");
  EXPECT_EQ(first_statement("x @ w.T + b\n"), "Expr@1 (+ (@ x (. w T)) b)");
  EXPECT_EQ(first_statement("a if c else b if d else e\n"), "Expr@1 (if c a (if d b e))");
}

TEST(Parser, TrailersAndLiterals) {
  EXPECT_EQ(
      first_statement("f(1, *xs, k=2).g[0][1:-1:2, ..., :]\n"),
      "Expr@1 ([] ([] (. (call f 1 (* xs) k=2) g) 0) (tuple (slice 1 (neg 1) 2) ... (slice _ _ "
      "_)))");
  EXPECT_EQ(first_statement("e = (..., .5, x.y)\n"), "Assign@1 e = (tuple ... 0.5 (. x y))");
  EXPECT_EQ(
      first_statement("f(1, *xs, k=2).g[0][1:-1:2, :]\n"),
      "Expr@1 ([] ([] (. (call f 1 (* xs) k=2) g) 0) (tuple (slice 1 (neg 1) 2) (slice _ _ _)))");
  EXPECT_EQ(first_statement("x = {'a': [1, 2.5], 'b': (None,), 'c': ()}\n"),
            "Assign@1 x = (dict 'a':(list 1 2.5) 'b':(tuple None) 'c':(tuple))");
  EXPECT_EQ(first_statement("s = 'ab' \"cd\"\n"), "Assign@1 s = 'abcd'");
  EXPECT_EQ(first_statement("y = [v * 2 for i, v in pairs if v if i]\n"),
            "Assign@1 y = (listcomp (* v 2) for (tuple i v) in pairs if v if i)");
}

TEST(Parser, StatementsAndBlocks) {
  EXPECT_EQ(tree("a = b = 1\nx += 2\ndel a[0], b\nglobal g, h\n"),
            "Assign@1 a b = 1\nAugAssign@2 x += 2\nDel@3 ([] a 0) b\nGlobal@4 g h\n");
  EXPECT_EQ(tree("for i in range(3):\n    if i:\n        continue\n    elif i > 1:\n        break\n"
                 "    else:\n        pass\nelse:\n    print(i)\n"),
            "For@1 i in (call range 3)\n"
            "  If@2 i\n"
            "    Continue@3\n"
            "  else\n"
            "    If@4 (compare i > 1)\n"
            "      Break@5\n"
            "    else\n"
            "      Pass@7\n"
            "else\n"
            "  Expr@9 (call print i)\n");
  EXPECT_EQ(tree("@deco\ndef f(a, b=2, *rest):\n    return a, b\n"),
            "Def@2 f(a, b=2, *rest) deco\n  Return@3 (tuple a b)\n");
  EXPECT_EQ(tree("class C(B):\n    x = 1\n    def m(self): return self.x\n"),
            "Class@1 C( B)\n  Assign@2 x = 1\n  Def@3 m(self)\n    Return@3 (. self x)\n");
  EXPECT_EQ(tree("try:\n    f()\nexcept E as e:\n    raise\nexcept:\n    pass\nelse:\n    g()\n"
                 "finally:\n    h()\n"),
            "Try@1\n  Expr@2 (call f)\nexcept E as e\n  Raise@4 _\nexcept _\n  Pass@6\nelse\n"
            "  Expr@8 (call g)\nfinally\n  Expr@10 (call h)\n");
  EXPECT_EQ(tree("while x: x -= 1; continue\n"), "While@1 x\n  AugAssign@1 x -= 1\n  Continue@1\n");
}

TEST(Parser, ErrorsSayWhatWasExpectedAndWhere) {
  EXPECT_TRUE(fails_with(parse("f() = 3\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:1: cannot assign to function call"));
  EXPECT_TRUE(fails_with(parse("1 = x\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:1: cannot assign to literal"));
  EXPECT_TRUE(fails_with(parse("(a, b) += 1\n", "t.gy"), ErrorKind::SyntaxError,
                         "'tuple' is an illegal expression for augmented assignment"));
  EXPECT_TRUE(fails_with(parse("if x\n    pass\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:5: expected ':', found newline"));
  EXPECT_TRUE(fails_with(parse("a\n    b\n", "t.gy"), ErrorKind::IndentationError,
                         "t.gy:2:5: unexpected indent"));
  EXPECT_TRUE(fails_with(parse("if x:\npass\n", "t.gy"), ErrorKind::IndentationError,
                         "t.gy:2:1: expected an indented block"));
  EXPECT_TRUE(fails_with(parse("def f(a=1, b): pass\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:12: non-default argument follows default argument"));
  EXPECT_TRUE(fails_with(parse("def f(a, a): pass\n", "t.gy"), ErrorKind::SyntaxError,
                         "duplicate argument 'a' in function definition"));
  EXPECT_TRUE(fails_with(parse("f(a=1, 2)\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:8: positional argument follows keyword argument"));
  EXPECT_TRUE(fails_with(parse("f(a=1, a=2)\n", "t.gy"), ErrorKind::SyntaxError,
                         "keyword argument repeated: a"));
  EXPECT_TRUE(fails_with(parse("x = lambda: 1\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:1:5: 'lambda' is not supported by gyro script"));
  EXPECT_TRUE(fails_with(parse("import os\n", "t.gy"), ErrorKind::SyntaxError,
                         "'import' is not supported by gyro script"));
  EXPECT_TRUE(fails_with(parse("try:\n    pass\nx = 1\n", "t.gy"), ErrorKind::SyntaxError,
                         "t.gy:3:1: expected 'except' or 'finally', found name 'x'"));
  EXPECT_TRUE(fails_with(parse("x = [1, 2\ny = 3\n", "t.gy"), ErrorKind::SyntaxError,
                         "'[' was never closed"));
  EXPECT_TRUE(
      fails_with(parse("x = {1, 2}\n", "t.gy"), ErrorKind::SyntaxError, "sets are not supported"));
}
