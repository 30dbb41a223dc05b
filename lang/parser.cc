// Parser: one function per grammar rule, precedence from lowest (conditional expressions) to
// highest (atoms), as in CPython's grammar.
#include "lang/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "lang/lexer.h"

namespace gyro::lang {

namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view filename)
      : tokens_(std::move(tokens)), filename_(filename) {}

  Expected<Module> run() {
    Module module;
    module.filename = std::string(filename_);
    while (!at(TokenKind::kEnd)) {
      if (accept(TokenKind::kNewline)) continue;
      GYRO_TRY(statement(module.body));
    }
    return module;
  }

 private:
  // ---- token helpers ----
  const Token& peek(int ahead = 0) const {
    std::size_t index = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[index];
  }
  bool at(TokenKind kind) const { return peek().kind == kind; }
  bool accept(TokenKind kind) {
    if (!at(kind)) return false;
    ++pos_;
    return true;
  }
  template <typename... Args>
  Error error_at(SourceLocation where, fmt::format_string<Args...> format, Args&&... args) const {
    return make_error(ErrorKind::SyntaxError, "{}:{}:{}: {}", filename_, where.line, where.column,
                      fmt::format(format, std::forward<Args>(args)...));
  }
  Error unexpected(std::string_view wanted) const {
    const Token& token = peek();
    std::string found = token.kind == TokenKind::kName     ? fmt::format("name '{}'", token.text)
                        : token.kind == TokenKind::kString ? std::string("a string")
                        : token.kind == TokenKind::kInt || token.kind == TokenKind::kFloat
                            ? fmt::format("number {}", token.text)
                            : fmt::format("'{}'", token_spelling(token.kind));
    if (token.kind == TokenKind::kNewline || token.kind == TokenKind::kEnd ||
        token.kind == TokenKind::kIndent || token.kind == TokenKind::kDedent)
      found = std::string(token_spelling(token.kind));
    return error_at(token.location, "expected {}, found {}", wanted, found);
  }
  Expected<Token> expect(TokenKind kind, std::string_view wanted = {}) {
    if (!at(kind))
      return unexpected(wanted.empty() ? fmt::format("'{}'", token_spelling(kind))
                                       : std::string(wanted));
    return tokens_[pos_++];
  }

  static ExprPtr node(ExprKind kind, SourceLocation where) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->location = where;
    return expr;
  }
  static StmtPtr stmt(StmtKind kind, SourceLocation where) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->location = where;
    return s;
  }

  // ---- statements ----
  Status statement(Block& out) {
    switch (peek().kind) {
      case TokenKind::kIf:
        return if_statement(out);
      case TokenKind::kWhile:
        return while_statement(out);
      case TokenKind::kFor:
        return for_statement(out);
      case TokenKind::kTry:
        return try_statement(out);
      case TokenKind::kDef:
      case TokenKind::kClass:
      case TokenKind::kAt:
        return definition(out);
      case TokenKind::kWith:
      case TokenKind::kLambda:
      case TokenKind::kYield:
      case TokenKind::kImport:
      case TokenKind::kFrom:
        return error_at(peek().location, "'{}' is not supported by gyro script",
                        token_spelling(peek().kind));
      case TokenKind::kIndent:
        return make_error(ErrorKind::IndentationError, "{}:{}:{}: unexpected indent", filename_,
                          peek().location.line, peek().location.column);
      default:
        return simple_statements(out);
    }
  }

  Status simple_statements(Block& out) {
    while (true) {
      GYRO_TRY(small_statement(out));
      if (!accept(TokenKind::kSemicolon)) break;
      if (at(TokenKind::kNewline)) break;
    }
    GYRO_TRY(expect(TokenKind::kNewline, "end of line"));
    return {};
  }

  Status small_statement(Block& out) {
    SourceLocation where = peek().location;
    switch (peek().kind) {
      case TokenKind::kPass:
        ++pos_;
        out.push_back(stmt(StmtKind::kPass, where));
        return {};
      case TokenKind::kBreak:
        ++pos_;
        out.push_back(stmt(StmtKind::kBreak, where));
        return {};
      case TokenKind::kContinue:
        ++pos_;
        out.push_back(stmt(StmtKind::kContinue, where));
        return {};
      case TokenKind::kReturn: {
        ++pos_;
        auto s = stmt(StmtKind::kReturn, where);
        if (!at(TokenKind::kNewline) && !at(TokenKind::kSemicolon)) {
          GYRO_ASSIGN_OR_RETURN(s->value, expressions());
        }
        out.push_back(std::move(s));
        return {};
      }
      case TokenKind::kRaise: {
        ++pos_;
        auto s = stmt(StmtKind::kRaise, where);
        if (!at(TokenKind::kNewline) && !at(TokenKind::kSemicolon)) {
          GYRO_ASSIGN_OR_RETURN(s->value, expression());
        }
        if (at(TokenKind::kFrom))
          return error_at(peek().location, "'raise ... from' is not supported by gyro script");
        out.push_back(std::move(s));
        return {};
      }
      case TokenKind::kGlobal:
      case TokenKind::kNonlocal: {
        auto s = stmt(at(TokenKind::kGlobal) ? StmtKind::kGlobal : StmtKind::kNonlocal, where);
        ++pos_;
        do {
          GYRO_ASSIGN_OR_RETURN(Token name, expect(TokenKind::kName, "a name"));
          s->names.push_back(name.text);
        } while (accept(TokenKind::kComma));
        out.push_back(std::move(s));
        return {};
      }
      case TokenKind::kDel: {
        ++pos_;
        auto s = stmt(StmtKind::kDel, where);
        do {
          GYRO_ASSIGN_OR_RETURN(ExprPtr target, bitwise_or());
          GYRO_TRY(check_target(*target, "delete"));
          s->targets.push_back(std::move(target));
        } while (accept(TokenKind::kComma));
        out.push_back(std::move(s));
        return {};
      }
      case TokenKind::kAssert: {
        ++pos_;
        auto s = stmt(StmtKind::kAssert, where);
        GYRO_ASSIGN_OR_RETURN(s->value, expression());
        if (accept(TokenKind::kComma)) {
          GYRO_ASSIGN_OR_RETURN(s->message, expression());
        }
        out.push_back(std::move(s));
        return {};
      }
      default:
        break;
    }
    GYRO_ASSIGN_OR_RETURN(ExprPtr first, expressions());
    if (auto op = augmented_op(peek().kind)) {
      ++pos_;
      GYRO_TRY(check_target(*first, "assign to", /*allow_tuple=*/false));
      auto s = stmt(StmtKind::kAugAssign, where);
      s->binop = *op;
      s->targets.push_back(std::move(first));
      GYRO_ASSIGN_OR_RETURN(s->value, expressions());
      out.push_back(std::move(s));
      return {};
    }
    if (at(TokenKind::kAssign)) {
      auto s = stmt(StmtKind::kAssign, where);
      ExprPtr current = std::move(first);
      while (accept(TokenKind::kAssign)) {
        GYRO_TRY(check_target(*current, "assign to"));
        s->targets.push_back(std::move(current));
        GYRO_ASSIGN_OR_RETURN(current, expressions());
      }
      s->value = std::move(current);
      out.push_back(std::move(s));
      return {};
    }
    auto s = stmt(StmtKind::kExpr, where);
    s->value = std::move(first);
    out.push_back(std::move(s));
    return {};
  }

  static std::optional<Binop> augmented_op(TokenKind kind) {
    switch (kind) {
      case TokenKind::kPlusAssign:
        return Binop::INPLACE_ADD;
      case TokenKind::kMinusAssign:
        return Binop::INPLACE_SUBTRACT;
      case TokenKind::kStarAssign:
        return Binop::INPLACE_MULTIPLY;
      case TokenKind::kSlashAssign:
        return Binop::INPLACE_TRUE_DIVIDE;
      case TokenKind::kDoubleSlashAssign:
        return Binop::INPLACE_FLOOR_DIVIDE;
      case TokenKind::kPercentAssign:
        return Binop::INPLACE_REMAINDER;
      case TokenKind::kDoubleStarAssign:
        return Binop::INPLACE_POWER;
      case TokenKind::kAtAssign:
        return Binop::INPLACE_MATRIX_MULTIPLY;
      case TokenKind::kAmpAssign:
        return Binop::INPLACE_AND;
      case TokenKind::kPipeAssign:
        return Binop::INPLACE_OR;
      case TokenKind::kCaretAssign:
        return Binop::INPLACE_XOR;
      case TokenKind::kShiftLeftAssign:
        return Binop::INPLACE_LSHIFT;
      case TokenKind::kShiftRightAssign:
        return Binop::INPLACE_RSHIFT;
      default:
        return std::nullopt;
    }
  }

  // Only names, attributes, subscripts and (for plain assignment) tuples/lists of them.
  Status check_target(const Expr& target, std::string_view verb, bool allow_tuple = true) {
    switch (target.kind) {
      case ExprKind::kName:
      case ExprKind::kAttribute:
      case ExprKind::kSubscript:
        return {};
      case ExprKind::kTuple:
      case ExprKind::kList:
        if (!allow_tuple)
          return error_at(target.location, "'{}' is an illegal expression for augmented assignment",
                          target.kind == ExprKind::kTuple ? "tuple" : "list");
        for (const auto& item : target.items) GYRO_TRY(check_target(*item, verb));
        return {};
      default:
        return error_at(target.location, "cannot {} {}", verb, describe(target));
    }
  }
  static std::string describe(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kCall:
        return "function call";
      case ExprKind::kInt:
      case ExprKind::kFloat:
      case ExprKind::kString:
      case ExprKind::kBool:
      case ExprKind::kNone:
      case ExprKind::kEllipsis:
        return "literal";
      default:
        return "expression";
    }
  }

  Expected<Block> block() {
    GYRO_TRY(expect(TokenKind::kColon));
    Block body;
    if (!accept(TokenKind::kNewline)) {
      GYRO_TRY(simple_statements(body));
      return body;
    }
    if (!at(TokenKind::kIndent))
      return make_error(ErrorKind::IndentationError, "{}:{}:{}: expected an indented block",
                        filename_, peek().location.line, peek().location.column);
    ++pos_;
    while (!accept(TokenKind::kDedent)) {
      if (at(TokenKind::kEnd)) break;
      GYRO_TRY(statement(body));
    }
    return body;
  }

  Status if_statement(Block& out) {
    auto s = stmt(StmtKind::kIf, peek().location);
    ++pos_;
    GYRO_ASSIGN_OR_RETURN(s->value, expression());
    GYRO_ASSIGN_OR_RETURN(s->body, block());
    if (at(TokenKind::kElif)) {
      // elif chains nest as an if in the else branch.
      GYRO_TRY(if_statement(s->orelse));
    } else if (accept(TokenKind::kElse)) {
      GYRO_ASSIGN_OR_RETURN(s->orelse, block());
    }
    out.push_back(std::move(s));
    return {};
  }

  Status while_statement(Block& out) {
    auto s = stmt(StmtKind::kWhile, peek().location);
    ++pos_;
    GYRO_ASSIGN_OR_RETURN(s->value, expression());
    GYRO_ASSIGN_OR_RETURN(s->body, block());
    if (accept(TokenKind::kElse)) {
      GYRO_ASSIGN_OR_RETURN(s->orelse, block());
    }
    out.push_back(std::move(s));
    return {};
  }

  Status for_statement(Block& out) {
    auto s = stmt(StmtKind::kFor, peek().location);
    ++pos_;
    GYRO_ASSIGN_OR_RETURN(ExprPtr target, target_list());
    GYRO_TRY(check_target(*target, "assign to"));
    s->targets.push_back(std::move(target));
    GYRO_TRY(expect(TokenKind::kIn));
    GYRO_ASSIGN_OR_RETURN(s->value, expressions());
    GYRO_ASSIGN_OR_RETURN(s->body, block());
    if (accept(TokenKind::kElse)) {
      GYRO_ASSIGN_OR_RETURN(s->orelse, block());
    }
    out.push_back(std::move(s));
    return {};
  }

  // for-loop and comprehension targets: a, (b, c) ... stops before `in`.
  Expected<ExprPtr> target_list() {
    SourceLocation where = peek().location;
    GYRO_ASSIGN_OR_RETURN(ExprPtr first, bitwise_or());
    if (!at(TokenKind::kComma)) return first;
    auto tuple = node(ExprKind::kTuple, where);
    tuple->items.push_back(std::move(first));
    while (accept(TokenKind::kComma)) {
      if (at(TokenKind::kIn)) break;
      GYRO_ASSIGN_OR_RETURN(ExprPtr item, bitwise_or());
      tuple->items.push_back(std::move(item));
    }
    return tuple;
  }

  Status try_statement(Block& out) {
    auto s = stmt(StmtKind::kTry, peek().location);
    ++pos_;
    GYRO_ASSIGN_OR_RETURN(s->body, block());
    while (at(TokenKind::kExcept)) {
      Handler handler;
      handler.location = peek().location;
      ++pos_;
      if (!at(TokenKind::kColon)) {
        GYRO_ASSIGN_OR_RETURN(handler.type, expression());
        if (accept(TokenKind::kAs)) {
          GYRO_ASSIGN_OR_RETURN(Token name, expect(TokenKind::kName, "a name"));
          handler.name = name.text;
        }
      }
      GYRO_ASSIGN_OR_RETURN(handler.body, block());
      s->handlers.push_back(std::move(handler));
    }
    if (!s->handlers.empty() && accept(TokenKind::kElse)) {
      GYRO_ASSIGN_OR_RETURN(s->orelse, block());
    }
    if (accept(TokenKind::kFinally)) {
      GYRO_ASSIGN_OR_RETURN(s->finally, block());
    } else if (s->handlers.empty()) {
      return unexpected("'except' or 'finally'");
    }
    out.push_back(std::move(s));
    return {};
  }

  Status definition(Block& out) {
    std::vector<ExprPtr> decorators;
    while (accept(TokenKind::kAt)) {
      GYRO_ASSIGN_OR_RETURN(ExprPtr decorator, expression());
      decorators.push_back(std::move(decorator));
      GYRO_TRY(expect(TokenKind::kNewline, "end of line"));
    }
    if (at(TokenKind::kClass)) {
      auto s = stmt(StmtKind::kClass, peek().location);
      ++pos_;
      GYRO_ASSIGN_OR_RETURN(Token name, expect(TokenKind::kName, "a class name"));
      s->name = name.text;
      if (accept(TokenKind::kLParen)) {
        while (!accept(TokenKind::kRParen)) {
          GYRO_ASSIGN_OR_RETURN(ExprPtr base, expression());
          s->bases.push_back(std::move(base));
          if (!accept(TokenKind::kComma)) {
            GYRO_TRY(expect(TokenKind::kRParen));
            break;
          }
        }
      }
      s->decorators = std::move(decorators);
      GYRO_ASSIGN_OR_RETURN(s->body, block());
      out.push_back(std::move(s));
      return {};
    }
    if (!at(TokenKind::kDef)) return unexpected("'def' or 'class' after a decorator");
    auto s = stmt(StmtKind::kDef, peek().location);
    ++pos_;
    GYRO_ASSIGN_OR_RETURN(Token name, expect(TokenKind::kName, "a function name"));
    s->name = name.text;
    GYRO_TRY(expect(TokenKind::kLParen));
    bool seen_default = false;
    while (!accept(TokenKind::kRParen)) {
      if (s->varargs)
        return error_at(peek().location, "parameters after *args are not supported by gyro script");
      Parameter parameter;
      parameter.location = peek().location;
      bool star = accept(TokenKind::kStar);
      if (at(TokenKind::kDoubleStar))
        return error_at(peek().location, "'**kwargs' parameters are not supported by gyro script");
      GYRO_ASSIGN_OR_RETURN(Token param, expect(TokenKind::kName, "a parameter name"));
      parameter.name = param.text;
      for (const Parameter& other : s->parameters)
        if (other.name == parameter.name)
          return error_at(param.location, "duplicate argument '{}' in function definition",
                          parameter.name);
      if (star) {
        s->varargs = true;
      } else if (accept(TokenKind::kAssign)) {
        GYRO_ASSIGN_OR_RETURN(parameter.default_value, expression());
        seen_default = true;
      } else if (seen_default) {
        return error_at(param.location, "non-default argument follows default argument");
      }
      s->parameters.push_back(std::move(parameter));
      if (!accept(TokenKind::kComma)) {
        GYRO_TRY(expect(TokenKind::kRParen));
        break;
      }
    }
    if (accept(TokenKind::kArrow)) {
      GYRO_TRY(expression());  // annotations are parsed and ignored
    }
    s->decorators = std::move(decorators);
    GYRO_ASSIGN_OR_RETURN(s->body, block());
    out.push_back(std::move(s));
    return {};
  }

  // ---- expressions ----

  // expressions: expr (',' expr)* [','] -- a tuple when there is a comma.
  Expected<ExprPtr> expressions() {
    SourceLocation where = peek().location;
    GYRO_ASSIGN_OR_RETURN(ExprPtr first, star_or_expression());
    if (!at(TokenKind::kComma)) return first;
    auto tuple = node(ExprKind::kTuple, where);
    tuple->items.push_back(std::move(first));
    while (accept(TokenKind::kComma)) {
      if (ends_expression_list()) break;
      GYRO_ASSIGN_OR_RETURN(ExprPtr item, star_or_expression());
      tuple->items.push_back(std::move(item));
    }
    return tuple;
  }
  bool ends_expression_list() const {
    switch (peek().kind) {
      case TokenKind::kNewline:
      case TokenKind::kEnd:
      case TokenKind::kAssign:
      case TokenKind::kRParen:
      case TokenKind::kRBracket:
      case TokenKind::kRBrace:
      case TokenKind::kColon:
      case TokenKind::kSemicolon:
        return true;
      default:
        return augmented_op(peek().kind).has_value();
    }
  }
  Expected<ExprPtr> star_or_expression() {
    if (at(TokenKind::kStar)) {
      auto starred = node(ExprKind::kStarred, peek().location);
      ++pos_;
      GYRO_ASSIGN_OR_RETURN(starred->left, bitwise_or());
      return starred;
    }
    return expression();
  }

  Expected<ExprPtr> expression() {
    SourceLocation where = peek().location;
    if (at(TokenKind::kLambda)) return error_at(where, "'lambda' is not supported by gyro script");
    GYRO_ASSIGN_OR_RETURN(ExprPtr body, disjunction());
    if (!accept(TokenKind::kIf)) return body;
    auto conditional = node(ExprKind::kIfElse, where);
    conditional->left = std::move(body);
    GYRO_ASSIGN_OR_RETURN(conditional->right, disjunction());
    GYRO_TRY(expect(TokenKind::kElse, "'else' in a conditional expression"));
    GYRO_ASSIGN_OR_RETURN(conditional->third, expression());
    return conditional;
  }

  Expected<ExprPtr> boolean_chain(TokenKind op, ExprKind kind,
                                  Expected<ExprPtr> (Parser::*next)()) {
    SourceLocation where = peek().location;
    GYRO_ASSIGN_OR_RETURN(ExprPtr first, (this->*next)());
    if (!at(op)) return first;
    auto chain = node(kind, where);
    chain->items.push_back(std::move(first));
    while (accept(op)) {
      GYRO_ASSIGN_OR_RETURN(ExprPtr item, (this->*next)());
      chain->items.push_back(std::move(item));
    }
    return chain;
  }
  Expected<ExprPtr> disjunction() {
    return boolean_chain(TokenKind::kOr, ExprKind::kOr, &Parser::conjunction);
  }
  Expected<ExprPtr> conjunction() {
    return boolean_chain(TokenKind::kAnd, ExprKind::kAnd, &Parser::inversion);
  }
  Expected<ExprPtr> inversion() {
    if (at(TokenKind::kNot)) {
      auto negation = node(ExprKind::kNot, peek().location);
      ++pos_;
      GYRO_ASSIGN_OR_RETURN(negation->left, inversion());
      return negation;
    }
    return comparison();
  }

  std::optional<CompareKind> compare_kind() {
    switch (peek().kind) {
      case TokenKind::kLess:
        ++pos_;
        return CompareKind::kLess;
      case TokenKind::kLessEqual:
        ++pos_;
        return CompareKind::kLessEqual;
      case TokenKind::kEqual:
        ++pos_;
        return CompareKind::kEqual;
      case TokenKind::kNotEqual:
        ++pos_;
        return CompareKind::kNotEqual;
      case TokenKind::kGreater:
        ++pos_;
        return CompareKind::kGreater;
      case TokenKind::kGreaterEqual:
        ++pos_;
        return CompareKind::kGreaterEqual;
      case TokenKind::kIn:
        ++pos_;
        return CompareKind::kIn;
      case TokenKind::kIs:
        ++pos_;
        return accept(TokenKind::kNot) ? CompareKind::kIsNot : CompareKind::kIs;
      case TokenKind::kNot:
        if (peek(1).kind != TokenKind::kIn) return std::nullopt;
        pos_ += 2;
        return CompareKind::kNotIn;
      default:
        return std::nullopt;
    }
  }
  Expected<ExprPtr> comparison() {
    SourceLocation where = peek().location;
    GYRO_ASSIGN_OR_RETURN(ExprPtr first, bitwise_or());
    auto kind = compare_kind();
    if (!kind) return first;
    auto compare = node(ExprKind::kCompare, where);
    compare->left = std::move(first);
    do {
      compare->compares.push_back(*kind);
      GYRO_ASSIGN_OR_RETURN(ExprPtr right, bitwise_or());
      compare->items.push_back(std::move(right));
    } while ((kind = compare_kind()));
    return compare;
  }

  // Left-associative binary levels, from | down to *, /, //, %, @.
  Expected<ExprPtr> binary(int level) {
    static const std::vector<std::vector<std::pair<TokenKind, Binop>>> kLevels = {
        {{TokenKind::kPipe, Binop::OR}},
        {{TokenKind::kCaret, Binop::XOR}},
        {{TokenKind::kAmp, Binop::AND}},
        {{TokenKind::kShiftLeft, Binop::LSHIFT}, {TokenKind::kShiftRight, Binop::RSHIFT}},
        {{TokenKind::kPlus, Binop::ADD}, {TokenKind::kMinus, Binop::SUBTRACT}},
        {{TokenKind::kStar, Binop::MULTIPLY},
         {TokenKind::kSlash, Binop::TRUE_DIVIDE},
         {TokenKind::kDoubleSlash, Binop::FLOOR_DIVIDE},
         {TokenKind::kPercent, Binop::REMAINDER},
         {TokenKind::kAt, Binop::MATRIX_MULTIPLY}},
    };
    if (level == static_cast<int>(kLevels.size())) return factor();
    GYRO_ASSIGN_OR_RETURN(ExprPtr left, binary(level + 1));
    while (true) {
      const auto& ops = kLevels[level];
      auto match =
          std::find_if(ops.begin(), ops.end(), [&](const auto& op) { return at(op.first); });
      if (match == ops.end()) return left;
      auto expr = node(ExprKind::kBinary, peek().location);
      ++pos_;
      expr->binop = match->second;
      expr->left = std::move(left);
      GYRO_ASSIGN_OR_RETURN(expr->right, binary(level + 1));
      left = std::move(expr);
    }
  }
  Expected<ExprPtr> bitwise_or() { return binary(0); }

  Expected<ExprPtr> factor() {
    if (at(TokenKind::kMinus) || at(TokenKind::kPlus) || at(TokenKind::kTilde)) {
      auto unary = node(ExprKind::kUnary, peek().location);
      unary->unary = peek().kind;
      ++pos_;
      GYRO_ASSIGN_OR_RETURN(unary->left, factor());
      return unary;
    }
    return power();
  }
  Expected<ExprPtr> power() {
    GYRO_ASSIGN_OR_RETURN(ExprPtr base, primary());
    if (!at(TokenKind::kDoubleStar)) return base;
    auto expr = node(ExprKind::kBinary, peek().location);
    ++pos_;
    expr->binop = Binop::POWER;
    expr->left = std::move(base);
    GYRO_ASSIGN_OR_RETURN(expr->right,
                          factor());  // right-associative, binds tighter than unary on the left
    return expr;
  }

  Expected<ExprPtr> primary() {
    GYRO_ASSIGN_OR_RETURN(ExprPtr expr, atom());
    while (true) {
      SourceLocation where = expr->location;  // a trailer starts where its object does
      if (accept(TokenKind::kDot)) {
        GYRO_ASSIGN_OR_RETURN(Token name, expect(TokenKind::kName, "an attribute name"));
        auto attribute = node(ExprKind::kAttribute, where);
        attribute->left = std::move(expr);
        attribute->text = name.text;
        expr = std::move(attribute);
      } else if (accept(TokenKind::kLParen)) {
        auto call = node(ExprKind::kCall, where);
        call->left = std::move(expr);
        GYRO_TRY(arguments(*call));
        expr = std::move(call);
      } else if (accept(TokenKind::kLBracket)) {
        auto subscript = node(ExprKind::kSubscript, where);
        subscript->left = std::move(expr);
        GYRO_ASSIGN_OR_RETURN(subscript->right, slices());
        GYRO_TRY(expect(TokenKind::kRBracket));
        expr = std::move(subscript);
      } else {
        return expr;
      }
    }
  }

  Status arguments(Expr& call) {
    while (!accept(TokenKind::kRParen)) {
      if (at(TokenKind::kName) && peek(1).kind == TokenKind::kAssign) {
        Keyword keyword;
        keyword.name = peek().text;
        pos_ += 2;
        GYRO_ASSIGN_OR_RETURN(keyword.value, expression());
        for (const Keyword& other : call.keywords)
          if (other.name == keyword.name)
            return error_at(call.location, "keyword argument repeated: {}", keyword.name);
        call.keywords.push_back(std::move(keyword));
      } else {
        if (!call.keywords.empty() && !at(TokenKind::kStar))
          return error_at(peek().location, "positional argument follows keyword argument");
        if (at(TokenKind::kDoubleStar))
          return error_at(peek().location, "'**' arguments are not supported by gyro script");
        GYRO_ASSIGN_OR_RETURN(ExprPtr argument, star_or_expression());
        call.items.push_back(std::move(argument));
      }
      if (!accept(TokenKind::kComma)) {
        GYRO_TRY(expect(TokenKind::kRParen, "',' or ')' in the call"));
        break;
      }
    }
    return {};
  }

  // x[i], x[a:b:c], x[i, j:k]
  Expected<ExprPtr> slices() {
    SourceLocation where = peek().location;
    GYRO_ASSIGN_OR_RETURN(ExprPtr first, slice());
    if (!at(TokenKind::kComma)) return first;
    auto tuple = node(ExprKind::kTuple, where);
    tuple->items.push_back(std::move(first));
    while (accept(TokenKind::kComma)) {
      if (at(TokenKind::kRBracket)) break;
      GYRO_ASSIGN_OR_RETURN(ExprPtr item, slice());
      tuple->items.push_back(std::move(item));
    }
    return tuple;
  }
  Expected<ExprPtr> slice() {
    SourceLocation where = peek().location;
    ExprPtr lower;
    if (!at(TokenKind::kColon)) {
      GYRO_ASSIGN_OR_RETURN(lower, expression());
      if (!at(TokenKind::kColon)) return lower;
    }
    auto range = node(ExprKind::kSlice, where);
    ++pos_;  // ':'
    ExprPtr upper;
    if (!at(TokenKind::kColon) && !at(TokenKind::kComma) && !at(TokenKind::kRBracket)) {
      GYRO_ASSIGN_OR_RETURN(upper, expression());
    }
    if (accept(TokenKind::kColon) && !at(TokenKind::kComma) && !at(TokenKind::kRBracket)) {
      GYRO_ASSIGN_OR_RETURN(range->third, expression());
    }
    range->items.push_back(std::move(lower));
    range->items.push_back(std::move(upper));
    return range;
  }

  Expected<ExprPtr> atom() {
    const Token& token = peek();
    SourceLocation where = token.location;
    switch (token.kind) {
      case TokenKind::kName: {
        auto name = node(ExprKind::kName, where);
        name->text = token.text;
        ++pos_;
        return name;
      }
      case TokenKind::kTrue:
      case TokenKind::kFalse: {
        auto value = node(ExprKind::kBool, where);
        value->int_value = token.kind == TokenKind::kTrue;
        ++pos_;
        return value;
      }
      case TokenKind::kNone:
        ++pos_;
        return node(ExprKind::kNone, where);
      case TokenKind::kEllipsis:
        ++pos_;
        return node(ExprKind::kEllipsis, where);
      case TokenKind::kInt: {
        auto value = node(ExprKind::kInt, where);
        std::from_chars(token.text.data(), token.text.data() + token.text.size(), value->int_value);
        ++pos_;
        return value;
      }
      case TokenKind::kFloat: {
        auto value = node(ExprKind::kFloat, where);
        value->float_value = std::strtod(token.text.c_str(), nullptr);
        ++pos_;
        return value;
      }
      case TokenKind::kString: {
        auto value = node(ExprKind::kString, where);
        while (at(TokenKind::kString)) value->text += tokens_[pos_++].text;  // 'a' 'b' == 'ab'
        return value;
      }
      case TokenKind::kLParen: {
        ++pos_;
        if (accept(TokenKind::kRParen)) return node(ExprKind::kTuple, where);
        GYRO_ASSIGN_OR_RETURN(ExprPtr inner, expressions());
        if (at(TokenKind::kFor))
          return error_at(
              peek().location,
              "generator expressions are not supported by gyro script; use a list comprehension");
        GYRO_TRY(expect(TokenKind::kRParen, "')'"));
        return inner;
      }
      case TokenKind::kLBracket: {
        ++pos_;
        auto list = node(ExprKind::kList, where);
        if (accept(TokenKind::kRBracket)) return list;
        GYRO_ASSIGN_OR_RETURN(ExprPtr first, star_or_expression());
        if (at(TokenKind::kFor)) return comprehension(std::move(first), where);
        list->items.push_back(std::move(first));
        while (accept(TokenKind::kComma)) {
          if (at(TokenKind::kRBracket)) break;
          GYRO_ASSIGN_OR_RETURN(ExprPtr item, star_or_expression());
          list->items.push_back(std::move(item));
        }
        GYRO_TRY(expect(TokenKind::kRBracket, "',' or ']'"));
        return list;
      }
      case TokenKind::kLBrace: {
        ++pos_;
        auto dict = node(ExprKind::kDict, where);
        while (!accept(TokenKind::kRBrace)) {
          GYRO_ASSIGN_OR_RETURN(ExprPtr key, expression());
          if (!at(TokenKind::kColon))
            return error_at(peek().location,
                            "sets are not supported by gyro script (expected ':')");
          ++pos_;
          GYRO_ASSIGN_OR_RETURN(ExprPtr value, expression());
          dict->items.push_back(std::move(key));
          dict->values.push_back(std::move(value));
          if (!accept(TokenKind::kComma)) {
            GYRO_TRY(expect(TokenKind::kRBrace, "',' or '}'"));
            break;
          }
        }
        return dict;
      }
      case TokenKind::kLambda:
      case TokenKind::kYield:
        return error_at(where, "'{}' is not supported by gyro script", token_spelling(token.kind));
      default:
        return unexpected("an expression");
    }
  }

  Expected<ExprPtr> comprehension(ExprPtr element, SourceLocation where) {
    auto comp = node(ExprKind::kListComp, where);
    comp->left = std::move(element);
    GYRO_TRY(expect(TokenKind::kFor));
    GYRO_ASSIGN_OR_RETURN(comp->comp_target, target_list());
    GYRO_TRY(check_target(*comp->comp_target, "assign to"));
    GYRO_TRY(expect(TokenKind::kIn));
    GYRO_ASSIGN_OR_RETURN(comp->comp_iter, disjunction());
    while (accept(TokenKind::kIf)) {
      GYRO_ASSIGN_OR_RETURN(ExprPtr condition, disjunction());
      comp->values.push_back(std::move(condition));
    }
    if (at(TokenKind::kFor))
      return error_at(peek().location,
                      "nested comprehension loops are not supported by gyro script");
    GYRO_TRY(expect(TokenKind::kRBracket, "']'"));
    return comp;
  }

  std::vector<Token> tokens_;
  std::string_view filename_;
  std::size_t pos_ = 0;
};

}  // namespace

Expected<Module> parse(std::string_view source, std::string_view filename) {
  GYRO_ASSIGN_OR_RETURN(std::vector<Token> tokens, tokenize(source, filename));
  return Parser(std::move(tokens), filename).run();
}

}  // namespace gyro::lang
