// The syntax tree of gyro script: expression and statement kinds, each node with its location.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/opcode.h"
#include "lang/token.h"

namespace gyro::lang {

// EXPR(Kind): every expression kind, once (fields used per kind are listed in Expr).
#define GYRO_EXPRS(EXPR)                                                                       \
  EXPR(Name)                                                                                   \
  EXPR(Int)                                                                                    \
  EXPR(Float) EXPR(String) EXPR(Bool) EXPR(None) EXPR(Ellipsis) EXPR(Binary) EXPR(Unary) EXPR(Not) EXPR(And)  \
      EXPR(Or) EXPR(Compare) EXPR(Call) EXPR(Attribute) EXPR(Subscript) EXPR(Slice) EXPR(List) \
          EXPR(Tuple) EXPR(Dict) EXPR(IfElse) EXPR(ListComp) EXPR(Starred)

enum class ExprKind : uint8_t {
#define GYRO_EXPR_ENUM(name) k##name,
  GYRO_EXPRS(GYRO_EXPR_ENUM)
#undef GYRO_EXPR_ENUM
};

// Comparison operators beyond CompareOp: is / is not / in / not in.
enum class CompareKind : uint8_t {
  kLess,
  kLessEqual,
  kEqual,
  kNotEqual,
  kGreater,
  kGreaterEqual,
  kIs,
  kIsNot,
  kIn,
  kNotIn
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Keyword {
  std::string name;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  SourceLocation location;
  std::string text;          // Name: identifier; Attribute: attribute name; String: value
  int64_t int_value = 0;     // Int; Bool (0/1)
  double float_value = 0;    // Float
  Binop binop = Binop::ADD;  // Binary (and augmented assignment)
  TokenKind unary = TokenKind::kMinus;  // Unary: kMinus, kPlus, kTilde
  std::vector<CompareKind> compares;    // Compare: one per comparator
  ExprPtr left;   // Binary/Compare/Unary/Not operand; Call callee; Attribute/Subscript object;
                  // IfElse body; ListComp element; Starred value
  ExprPtr right;  // Binary right; Subscript index; IfElse condition
  ExprPtr third;  // IfElse orelse; Slice step
  std::vector<ExprPtr> items;      // Call args; List/Tuple/And/Or items; Compare comparators;
                                   // Dict keys; Slice lower/upper (null when absent)
  std::vector<ExprPtr> values;     // Dict values; ListComp: the `if` filters
  std::vector<Keyword> keywords;   // Call keywords
  ExprPtr comp_target, comp_iter;  // ListComp: for <target> in <iter>
};

// STMT(Kind): every statement kind, once.
#define GYRO_STMTS(STMT)                                                                           \
  STMT(Expr)                                                                                       \
  STMT(Assign)                                                                                     \
  STMT(AugAssign) STMT(If) STMT(While) STMT(For) STMT(Break) STMT(Continue) STMT(Return) STMT(Def) \
      STMT(Class) STMT(Try) STMT(Raise) STMT(Assert) STMT(Pass) STMT(Global) STMT(Nonlocal)        \
          STMT(Del)

enum class StmtKind : uint8_t {
#define GYRO_STMT_ENUM(name) k##name,
  GYRO_STMTS(GYRO_STMT_ENUM)
#undef GYRO_STMT_ENUM
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

struct Parameter {
  std::string name;
  ExprPtr default_value;  // null when required
  SourceLocation location;
};

struct Handler {
  ExprPtr type;      // null for a bare `except:`
  std::string name;  // `as name`, or empty
  Block body;
  SourceLocation location;
};

struct Stmt {
  StmtKind kind;
  SourceLocation location;
  std::vector<ExprPtr> targets;  // Assign (chained a = b = v); Del; For: targets[0]
  ExprPtr value;             // Expr/Assign/AugAssign/Return/Raise value; If/While/Assert condition;
                             // For iterable
  ExprPtr message;           // Assert message; Raise `from` is not supported
  Binop binop = Binop::ADD;  // AugAssign (the in-place form)
  Block body, orelse, finally;
  std::string name;                   // Def/Class name
  std::vector<Parameter> parameters;  // Def (a `*args` parameter is flagged by varargs)
  bool varargs = false;
  std::vector<ExprPtr> decorators;  // Def/Class
  std::vector<ExprPtr> bases;       // Class
  std::vector<Handler> handlers;    // Try
  std::vector<std::string> names;   // Global/Nonlocal
};

struct Module {
  std::string filename;
  Block body;
};

std::string_view expr_kind_name(ExprKind kind);
std::string_view stmt_kind_name(StmtKind kind);

// An indented s-expression of the tree, for tests and `gyro parse`.
std::string dump(const Module& module);

}  // namespace gyro::lang
