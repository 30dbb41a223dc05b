// Node kind names and the s-expression dump of a syntax tree.
#include "lang/ast.h"

#include <fmt/format.h>

#include "ir/python_repr.h"

namespace gyro::lang {

std::string_view expr_kind_name(ExprKind kind) {
  switch (kind) {
#define GYRO_EXPR_NAME(name) \
  case ExprKind::k##name:    \
    return #name;
    GYRO_EXPRS(GYRO_EXPR_NAME)
#undef GYRO_EXPR_NAME
  }
  return "?";
}

std::string_view stmt_kind_name(StmtKind kind) {
  switch (kind) {
#define GYRO_STMT_NAME(name) \
  case StmtKind::k##name:    \
    return #name;
    GYRO_STMTS(GYRO_STMT_NAME)
#undef GYRO_STMT_NAME
  }
  return "?";
}

namespace {

constexpr std::string_view kCompareNames[] = {"<",  "<=", "==",     "!=", ">",
                                              ">=", "is", "is not", "in", "not in"};

std::string dump_expr(const Expr* e);

std::string dump_list(const std::vector<ExprPtr>& items) {
  std::string out;
  for (const auto& item : items) out += fmt::format(" {}", dump_expr(item.get()));
  return out;
}

std::string dump_expr(const Expr* e) {
  if (!e) return "_";
  switch (e->kind) {
    case ExprKind::kName:
      return e->text;
    case ExprKind::kInt:
      return fmt::format("{}", e->int_value);
    case ExprKind::kFloat:
      return python_float_repr(e->float_value);
    case ExprKind::kString:
      return python_string_repr(e->text);
    case ExprKind::kBool:
      return e->int_value ? "True" : "False";
    case ExprKind::kNone:
      return "None";
    case ExprKind::kEllipsis:
      return "...";
    case ExprKind::kBinary:
      return fmt::format("({} {} {})", binop_symbol(e->binop), dump_expr(e->left.get()),
                         dump_expr(e->right.get()));
    case ExprKind::kUnary:
      return fmt::format("({} {})",
                         e->unary == TokenKind::kMinus  ? "neg"
                         : e->unary == TokenKind::kPlus ? "pos"
                                                        : "invert",
                         dump_expr(e->left.get()));
    case ExprKind::kNot:
      return fmt::format("(not {})", dump_expr(e->left.get()));
    case ExprKind::kAnd:
      return fmt::format("(and{})", dump_list(e->items));
    case ExprKind::kOr:
      return fmt::format("(or{})", dump_list(e->items));
    case ExprKind::kCompare: {
      std::string out = fmt::format("(compare {}", dump_expr(e->left.get()));
      for (std::size_t i = 0; i < e->compares.size(); ++i)
        out += fmt::format(" {} {}", kCompareNames[static_cast<int>(e->compares[i])],
                           dump_expr(e->items[i].get()));
      return fmt::format("{})", out);
    }
    case ExprKind::kCall: {
      std::string out = fmt::format("(call {}{}", dump_expr(e->left.get()), dump_list(e->items));
      for (const auto& keyword : e->keywords)
        out += fmt::format(" {}={}", keyword.name, dump_expr(keyword.value.get()));
      return fmt::format("{})", out);
    }
    case ExprKind::kAttribute:
      return fmt::format("(. {} {})", dump_expr(e->left.get()), e->text);
    case ExprKind::kSubscript:
      return fmt::format("([] {} {})", dump_expr(e->left.get()), dump_expr(e->right.get()));
    case ExprKind::kSlice:
      return fmt::format("(slice {} {} {})", dump_expr(e->items[0].get()),
                         dump_expr(e->items[1].get()), dump_expr(e->third.get()));
    case ExprKind::kList:
      return fmt::format("(list{})", dump_list(e->items));
    case ExprKind::kTuple:
      return fmt::format("(tuple{})", dump_list(e->items));
    case ExprKind::kDict: {
      std::string out = "(dict";
      for (std::size_t i = 0; i < e->items.size(); ++i)
        out += fmt::format(" {}:{}", dump_expr(e->items[i].get()), dump_expr(e->values[i].get()));
      return fmt::format("{})", out);
    }
    case ExprKind::kIfElse:
      return fmt::format("(if {} {} {})", dump_expr(e->right.get()), dump_expr(e->left.get()),
                         dump_expr(e->third.get()));
    case ExprKind::kListComp: {
      std::string out = fmt::format("(listcomp {} for {} in {}", dump_expr(e->left.get()),
                                    dump_expr(e->comp_target.get()), dump_expr(e->comp_iter.get()));
      for (const auto& condition : e->values)
        out += fmt::format(" if {}", dump_expr(condition.get()));
      return fmt::format("{})", out);
    }
    case ExprKind::kStarred:
      return fmt::format("(* {})", dump_expr(e->left.get()));
  }
  return "?";
}

void dump_block(const Block& block, int indent, std::string& out);

void dump_stmt(const Stmt& s, int indent, std::string& out) {
  std::string pad(indent * 2, ' ');
  std::string head = fmt::format("{}{}@{}", pad, stmt_kind_name(s.kind), s.location.line);
  switch (s.kind) {
    case StmtKind::kExpr:
    case StmtKind::kReturn:
    case StmtKind::kRaise:
      out += fmt::format("{} {}\n", head, dump_expr(s.value.get()));
      return;
    case StmtKind::kAssign:
      out += fmt::format("{}{} = {}\n", head, dump_list(s.targets), dump_expr(s.value.get()));
      return;
    case StmtKind::kAugAssign:
      out += fmt::format("{} {} {} {}\n", head, dump_expr(s.targets[0].get()),
                         binop_symbol(s.binop), dump_expr(s.value.get()));
      return;
    case StmtKind::kDel:
      out += fmt::format("{}{}\n", head, dump_list(s.targets));
      return;
    case StmtKind::kAssert:
      out += fmt::format("{} {} {}\n", head, dump_expr(s.value.get()), dump_expr(s.message.get()));
      return;
    case StmtKind::kBreak:
    case StmtKind::kContinue:
    case StmtKind::kPass:
      out += fmt::format("{}\n", head);
      return;
    case StmtKind::kGlobal:
    case StmtKind::kNonlocal:
      out += fmt::format("{} {}\n", head, fmt::join(s.names, " "));
      return;
    case StmtKind::kIf:
    case StmtKind::kWhile:
      out += fmt::format("{} {}\n", head, dump_expr(s.value.get()));
      dump_block(s.body, indent + 1, out);
      if (!s.orelse.empty()) {
        out += fmt::format("{}else\n", pad);
        dump_block(s.orelse, indent + 1, out);
      }
      return;
    case StmtKind::kFor:
      out += fmt::format("{} {} in {}\n", head, dump_expr(s.targets[0].get()),
                         dump_expr(s.value.get()));
      dump_block(s.body, indent + 1, out);
      if (!s.orelse.empty()) {
        out += fmt::format("{}else\n", pad);
        dump_block(s.orelse, indent + 1, out);
      }
      return;
    case StmtKind::kDef: {
      std::vector<std::string> params;
      for (std::size_t i = 0; i < s.parameters.size(); ++i) {
        const Parameter& p = s.parameters[i];
        bool star = s.varargs && i + 1 == s.parameters.size();
        params.push_back(fmt::format(
            "{}{}{}", star ? "*" : "", p.name,
            p.default_value ? fmt::format("={}", dump_expr(p.default_value.get())) : ""));
      }
      out += fmt::format("{} {}({}){}\n", head, s.name, fmt::join(params, ", "),
                         dump_list(s.decorators));
      dump_block(s.body, indent + 1, out);
      return;
    }
    case StmtKind::kClass:
      out +=
          fmt::format("{} {}({}){}\n", head, s.name, dump_list(s.bases), dump_list(s.decorators));
      dump_block(s.body, indent + 1, out);
      return;
    case StmtKind::kTry:
      out += fmt::format("{}\n", head);
      dump_block(s.body, indent + 1, out);
      for (const Handler& handler : s.handlers) {
        out +=
            fmt::format("{}except {}{}\n", pad, dump_expr(handler.type.get()),
                        handler.name.empty() ? std::string() : fmt::format(" as {}", handler.name));
        dump_block(handler.body, indent + 1, out);
      }
      if (!s.orelse.empty()) {
        out += fmt::format("{}else\n", pad);
        dump_block(s.orelse, indent + 1, out);
      }
      if (!s.finally.empty()) {
        out += fmt::format("{}finally\n", pad);
        dump_block(s.finally, indent + 1, out);
      }
      return;
  }
}

void dump_block(const Block& block, int indent, std::string& out) {
  for (const auto& s : block) dump_stmt(*s, indent, out);
}

}  // namespace

std::string dump(const Module& module) {
  std::string out;
  dump_block(module.body, 0, out);
  return out;
}

}  // namespace gyro::lang
