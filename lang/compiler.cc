// Compiler: a scope pass (which names are local, cell, free or global in each function), then
// code generation per scope, CPython 3.11's instruction patterns adapted to gyro's opcodes.
#include "lang/compiler.h"

#include <algorithm>
#include <map>
#include <set>

#include "ir/code_builder.h"
#include "lang/parser.h"

namespace gyro::lang {

namespace {

// ---- scopes ----

enum class ScopeKind : uint8_t { kModule, kFunction, kClass };

struct Scope {
  ScopeKind kind;
  Scope* parent = nullptr;
  std::set<std::string> assigned, used, globals, nonlocals, cells, frees;
  std::vector<std::string> parameters;
  bool varargs = false;  // the last parameter is *args
  std::map<const void*, std::unique_ptr<Scope>> children;  // by Def/Class statement
};

// Walks one scope's statements, recording names; nested defs and classes get child scopes.
class ScopeBuilder {
 public:
  explicit ScopeBuilder(Scope& scope) : scope_(scope) {}

  void block(const Block& body) {
    for (const auto& s : body) statement(*s);
  }

 private:
  void assign(const Expr& target) {
    switch (target.kind) {
      case ExprKind::kName:
        scope_.assigned.insert(target.text);
        break;
      case ExprKind::kTuple:
      case ExprKind::kList:
        for (const auto& item : target.items) assign(*item);
        break;
      case ExprKind::kStarred:
        assign(*target.left);
        break;
      default:
        expr(target);
        break;  // attribute/subscript targets read their object
    }
  }

  void statement(const Stmt& s) {
    switch (s.kind) {
      case StmtKind::kExpr:
      case StmtKind::kReturn:
      case StmtKind::kRaise:
        if (s.value) expr(*s.value);
        break;
      case StmtKind::kAssign:
        expr(*s.value);
        for (const auto& target : s.targets) assign(*target);
        break;
      case StmtKind::kAugAssign:
        expr(*s.value);
        expr(*s.targets[0]);
        assign(*s.targets[0]);
        break;
      case StmtKind::kDel:
        for (const auto& target : s.targets) assign(*target);
        break;
      case StmtKind::kAssert:
        expr(*s.value);
        if (s.message) expr(*s.message);
        break;
      case StmtKind::kIf:
      case StmtKind::kWhile:
        expr(*s.value);
        block(s.body);
        block(s.orelse);
        break;
      case StmtKind::kFor:
        expr(*s.value);
        assign(*s.targets[0]);
        block(s.body);
        block(s.orelse);
        break;
      case StmtKind::kTry:
        block(s.body);
        for (const Handler& handler : s.handlers) {
          if (handler.type) expr(*handler.type);
          if (!handler.name.empty()) scope_.assigned.insert(handler.name);
          block(handler.body);
        }
        block(s.orelse);
        block(s.finally);
        break;
      case StmtKind::kGlobal:
        for (const auto& name : s.names) scope_.globals.insert(name);
        break;
      case StmtKind::kNonlocal:
        for (const auto& name : s.names) scope_.nonlocals.insert(name);
        break;
      case StmtKind::kDef:
      case StmtKind::kClass: {
        for (const auto& decorator : s.decorators) expr(*decorator);
        for (const auto& base : s.bases) expr(*base);
        for (const auto& parameter : s.parameters)
          if (parameter.default_value) expr(*parameter.default_value);
        scope_.assigned.insert(s.name);
        auto child = std::make_unique<Scope>();
        child->kind = s.kind == StmtKind::kDef ? ScopeKind::kFunction : ScopeKind::kClass;
        child->parent = &scope_;
        for (const auto& parameter : s.parameters) {
          child->parameters.push_back(parameter.name);
          child->assigned.insert(parameter.name);
        }
        child->varargs = s.varargs;
        ScopeBuilder(*child).block(s.body);
        scope_.children[&s] = std::move(child);
        break;
      }
      case StmtKind::kBreak:
      case StmtKind::kContinue:
      case StmtKind::kPass:
        break;
    }
  }

  void expr(const Expr& e) {
    if (e.kind == ExprKind::kListComp) {
      // A comprehension is a function of its own (as in Python 3): its loop variable stays
      // private. The first iterable is evaluated outside and passed in as ".0".
      expr(*e.comp_iter);
      auto child = std::make_unique<Scope>();
      child->kind = ScopeKind::kFunction;
      child->parent = &scope_;
      child->parameters.push_back(".0");
      child->assigned.insert(".0");
      ScopeBuilder inner(*child);
      inner.assign(*e.comp_target);
      inner.expr(*e.left);
      for (const auto& condition : e.values) inner.expr(*condition);
      scope_.children[&e] = std::move(child);
      return;
    }
    if (e.kind == ExprKind::kName) scope_.used.insert(e.text);
    for (const ExprPtr* child : {&e.left, &e.right, &e.third, &e.comp_iter})
      if (*child) expr(**child);
    for (const auto& item : e.items)
      if (item) expr(*item);
    for (const auto& value : e.values) expr(*value);
    for (const auto& keyword : e.keywords) expr(*keyword.value);
  }

  Scope& scope_;
};

// The implicit variable through which super() finds the class its method was defined in.
constexpr char kClassCell[] = "__class__";

bool is_local(const Scope& scope, const std::string& name) {
  return scope.kind == ScopeKind::kFunction && scope.assigned.count(name) &&
         !scope.globals.count(name) && !scope.nonlocals.count(name);
}

// Resolves free variables bottom-up: a name a function reads (or declares nonlocal) that an
// enclosing function binds becomes a cell there and a free variable in every scope between.
Status resolve(Scope& scope, std::string_view filename) {
  for (auto& [key, child] : scope.children) GYRO_TRY(resolve(*child, filename));
  if (scope.kind != ScopeKind::kFunction) return {};
  std::set<std::string> wanted = scope.nonlocals;
  for (const auto& name : scope.used)
    if (!is_local(scope, name) && !scope.globals.count(name)) wanted.insert(name);
  // As in CPython, a function that mentions super gets the implicit __class__ variable, a cell
  // of the nearest enclosing class body (which BUILD_CLASS fills with the new class).
  if (scope.used.count("super") && !is_local(scope, kClassCell)) wanted.insert(kClassCell);
  for (const auto& [key, child] : scope.children)
    for (const auto& name : child->frees)
      if (!is_local(scope, name)) wanted.insert(name);
  for (const auto& name : wanted) {
    for (Scope* outer = scope.parent; outer; outer = outer->parent) {
      if (outer->kind == ScopeKind::kClass) {
        if (name != kClassCell) continue;  // class bodies don't enclose methods...
        outer->cells.insert(name);         // ...except for their own __class__
        scope.frees.insert(name);
        break;
      }
      if (outer->kind == ScopeKind::kModule) break;
      if (is_local(*outer, name)) {
        outer->cells.insert(name);
        scope.frees.insert(name);
        break;
      }
    }
    if (scope.nonlocals.count(name) && !scope.frees.count(name))
      return make_error(ErrorKind::SyntaxError, "{}: no binding for nonlocal '{}' found", filename,
                        name);
  }
  // Children that read a name this function binds made it a cell here already; names that
  // children need from further out pass through as frees (handled by the loop above).
  return {};
}

// ---- code generation ----

struct LoopLabels {
  Label start, end;
  bool is_for;
};

// What break/continue/return must undo on their way out, innermost last.
struct FrameBlock {
  enum class Kind : uint8_t { kLoop, kTryBody, kHandler, kFinallyBody } kind;
  LoopLabels loop;
  const Block* finally = nullptr;  // kTryBody/kHandler: the try's finally, run inline
};

class CodeGen {
 public:
  CodeGen(const Scope& scope, std::string name, std::string_view filename, int first_line)
      : scope_(scope),
        builder_(std::move(name), std::string(filename), first_line),
        filename_(filename) {}

  Expected<std::shared_ptr<Code>> function(const Stmt& def) {
    std::vector<std::string> parameters;
    for (const auto& parameter : def.parameters) parameters.push_back(parameter.name);
    builder_.set_parameters(parameters, def.varargs);
    declare_cells();
    GYRO_TRY(block(def.body));
    builder_.emit(Opcode::LOAD_CONST, builder_.constant(Constant()));
    builder_.emit(Opcode::RETURN_VALUE);
    return builder_.finish();
  }

  // The body of a list comprehension's function: iterate ".0", filter, append, return the list.
  Expected<std::shared_ptr<Code>> comprehension(const Expr& e) {
    builder_.set_parameters({".0"});
    declare_cells();
    builder_.set_line(e.location.line);
    Label loop = builder_.new_label(), end = builder_.new_label();
    builder_.emit(Opcode::BUILD_LIST, 0);
    builder_.emit(Opcode::LOAD_FAST, builder_.local(".0"));
    builder_.bind(loop);
    builder_.emit_jump(Opcode::FOR_ITER, end);
    GYRO_TRY(store(*e.comp_target));
    for (const auto& test : e.values) GYRO_TRY(condition(*test, loop));
    GYRO_TRY(expr(*e.left));
    builder_.emit(Opcode::LIST_APPEND, 2);
    builder_.emit_jump(Opcode::JUMP, loop);
    builder_.bind(end);
    builder_.emit(Opcode::RETURN_VALUE);
    return builder_.finish();
  }

  Expected<std::shared_ptr<Code>> body(const Block& statements) {
    declare_cells();
    GYRO_TRY(block(statements));
    if (scope_.kind == ScopeKind::kClass && scope_.cells.count(kClassCell)) {
      // Hands the __class__ cell to BUILD_CLASS, which fills it (CPython's __classcell__).
      builder_.emit(Opcode::LOAD_CLOSURE, builder_.cell(kClassCell));
      builder_.emit(Opcode::STORE_NAME, builder_.name("__classcell__"));
    }
    builder_.emit(Opcode::LOAD_CONST, builder_.constant(Constant()));
    builder_.emit(Opcode::RETURN_VALUE);
    return builder_.finish();
  }

 private:
  template <typename... Args>
  Error error_at(SourceLocation where, fmt::format_string<Args...> format, Args&&... args) const {
    return make_error(ErrorKind::SyntaxError, "{}:{}:{}: {}", filename_, where.line, where.column,
                      fmt::format(format, std::forward<Args>(args)...));
  }

  void declare_cells() {
    for (const auto& name : scope_.cells) builder_.cell(name);
    for (const auto& name : scope_.frees) builder_.free_var(name);
  }

  // ---- names ----
  enum class Access { kLoad, kStore, kDelete };
  Status name(const std::string& id, Access access, SourceLocation where) {
    if (scope_.kind == ScopeKind::kClass) {
      builder_.emit(access == Access::kLoad    ? Opcode::LOAD_NAME
                    : access == Access::kStore ? Opcode::STORE_NAME
                                               : Opcode::DELETE_NAME,
                    builder_.name(id));
      return {};
    }
    if (scope_.cells.count(id) || scope_.frees.count(id)) {
      if (access == Access::kDelete)
        return error_at(where, "'del' of a captured variable is not supported by gyro script");
      uint32_t index = scope_.cells.count(id) ? builder_.cell(id) : builder_.free_var(id);
      builder_.emit(access == Access::kLoad ? Opcode::LOAD_DEREF : Opcode::STORE_DEREF, index);
      return {};
    }
    if (is_local(scope_, id)) {
      builder_.emit(access == Access::kLoad    ? Opcode::LOAD_FAST
                    : access == Access::kStore ? Opcode::STORE_FAST
                                               : Opcode::DELETE_FAST,
                    builder_.local(id));
      return {};
    }
    builder_.emit(access == Access::kLoad    ? Opcode::LOAD_GLOBAL
                  : access == Access::kStore ? Opcode::STORE_GLOBAL
                                             : Opcode::DELETE_GLOBAL,
                  builder_.name(id));
    return {};
  }

  void constant(const Constant& value) {
    builder_.emit(Opcode::LOAD_CONST, builder_.constant(value));
  }

  // ---- statements ----
  Status block(const Block& body) {
    for (const auto& s : body) GYRO_TRY(statement(*s));
    return {};
  }

  Status statement(const Stmt& s) {
    builder_.set_line(s.location.line);
    switch (s.kind) {
      case StmtKind::kExpr:
        GYRO_TRY(expr(*s.value));
        builder_.emit(Opcode::POP_TOP);
        return {};
      case StmtKind::kAssign:
        GYRO_TRY(expr(*s.value));
        for (std::size_t i = 0; i < s.targets.size(); ++i) {
          if (i + 1 < s.targets.size()) builder_.emit(Opcode::COPY, 1);
          GYRO_TRY(store(*s.targets[i]));
        }
        return {};
      case StmtKind::kAugAssign:
        return augmented(s);
      case StmtKind::kIf: {
        Label orelse = builder_.new_label(), end = builder_.new_label();
        GYRO_TRY(condition(*s.value, orelse));
        GYRO_TRY(block(s.body));
        if (!s.orelse.empty()) builder_.emit_jump(Opcode::JUMP, end);
        builder_.bind(orelse);
        GYRO_TRY(block(s.orelse));
        builder_.bind(end);
        return {};
      }
      case StmtKind::kWhile: {
        LoopLabels loop{builder_.new_label(), builder_.new_label(), false};
        Label orelse = builder_.new_label();
        builder_.bind(loop.start);
        GYRO_TRY(condition(*s.value, orelse));
        blocks_.push_back({FrameBlock::Kind::kLoop, loop});
        GYRO_TRY(block(s.body));
        blocks_.pop_back();
        builder_.emit_jump(Opcode::JUMP, loop.start);
        builder_.bind(orelse);
        GYRO_TRY(block(s.orelse));
        builder_.bind(loop.end);
        return {};
      }
      case StmtKind::kFor: {
        LoopLabels loop{builder_.new_label(), builder_.new_label(), true};
        Label exhausted = builder_.new_label();
        GYRO_TRY(expr(*s.value));
        builder_.emit(Opcode::GET_ITER);
        builder_.bind(loop.start);
        builder_.emit_jump(Opcode::FOR_ITER, exhausted);
        GYRO_TRY(store(*s.targets[0]));
        blocks_.push_back({FrameBlock::Kind::kLoop, loop});
        GYRO_TRY(block(s.body));
        blocks_.pop_back();
        builder_.set_line(s.location.line);
        builder_.emit_jump(Opcode::JUMP, loop.start);
        builder_.bind(exhausted);
        GYRO_TRY(block(s.orelse));
        builder_.bind(loop.end);
        return {};
      }
      case StmtKind::kBreak:
      case StmtKind::kContinue: {
        bool is_break = s.kind == StmtKind::kBreak;
        auto loop = std::find_if(blocks_.rbegin(), blocks_.rend(), [](const FrameBlock& b) {
          return b.kind == FrameBlock::Kind::kLoop;
        });
        if (loop == blocks_.rend())
          return error_at(s.location, "'{}' outside loop", is_break ? "break" : "continue");
        const LoopLabels labels = loop->loop;  // unwind() rebuilds blocks_
        GYRO_TRY(unwind(std::distance(blocks_.rbegin(), loop), /*preserve_top=*/false));
        if (is_break) {
          if (labels.is_for) builder_.emit(Opcode::POP_TOP);  // the iterator
          builder_.emit_jump(Opcode::JUMP, labels.end);
        } else {
          builder_.emit_jump(Opcode::JUMP, labels.start);
        }
        return {};
      }
      case StmtKind::kReturn: {
        if (scope_.kind != ScopeKind::kFunction)
          return error_at(s.location, "'return' outside function");
        if (s.value) {
          GYRO_TRY(expr(*s.value));
        } else {
          constant(Constant());
        }
        GYRO_TRY(unwind(blocks_.size(), /*preserve_top=*/true));
        builder_.emit(Opcode::RETURN_VALUE);
        return {};
      }
      case StmtKind::kPass:
      case StmtKind::kGlobal:
      case StmtKind::kNonlocal:
        return {};
      case StmtKind::kDel:
        for (const auto& target : s.targets) {
          if (target->kind == ExprKind::kName) {
            GYRO_TRY(name(target->text, Access::kDelete, target->location));
          } else if (target->kind == ExprKind::kSubscript) {
            GYRO_TRY(expr(*target->left));
            GYRO_TRY(expr(*target->right));
            builder_.emit(Opcode::DELETE_SUBSCR);
          } else {
            return error_at(target->location, "cannot delete {}", expr_kind_name(target->kind));
          }
        }
        return {};
      case StmtKind::kAssert: {
        Label end = builder_.new_label();
        GYRO_TRY(expr(*s.value));
        builder_.emit_jump(Opcode::POP_JUMP_IF_TRUE, end);
        builder_.emit(Opcode::LOAD_ASSERTION_ERROR);
        if (s.message) {
          GYRO_TRY(expr(*s.message));
          builder_.emit(Opcode::CALL, 1);
        }
        builder_.emit(Opcode::RAISE_VARARGS, 1);
        builder_.bind(end);
        return {};
      }
      case StmtKind::kRaise:
        if (s.value) {
          GYRO_TRY(expr(*s.value));
          builder_.emit(Opcode::RAISE_VARARGS, 1);
        } else {
          builder_.emit(Opcode::RAISE_VARARGS, 0);
        }
        return {};
      case StmtKind::kTry:
        return try_statement(s);
      case StmtKind::kDef:
      case StmtKind::kClass:
        return definition(s);
    }
    return {};
  }

  // Leaves `count` innermost frame blocks (for break/continue/return): pops try blocks and
  // handled exceptions, runs finally bodies inline, drops for-loop iterators on return.
  Status unwind(std::size_t count, bool preserve_top) {
    std::vector<FrameBlock> saved = blocks_;
    for (std::size_t i = 0; i < count; ++i) {
      FrameBlock block = blocks_.back();
      blocks_.pop_back();
      switch (block.kind) {
        case FrameBlock::Kind::kLoop:
          if (block.loop.is_for && preserve_top) {
            builder_.emit(Opcode::SWAP, 2);
            builder_.emit(Opcode::POP_TOP);
          }
          break;
        case FrameBlock::Kind::kTryBody:
          builder_.emit(Opcode::POP_BLOCK);
          if (block.finally) GYRO_TRY(inline_finally(*block.finally, preserve_top));
          break;
        case FrameBlock::Kind::kHandler:
          if (preserve_top) builder_.emit(Opcode::SWAP, 2);
          builder_.emit(Opcode::POP_EXCEPT);
          if (block.finally) GYRO_TRY(inline_finally(*block.finally, preserve_top));
          break;
        case FrameBlock::Kind::kFinallyBody:
          // Leaving a finally body that runs for an exception: drop the exception.
          if (preserve_top) builder_.emit(Opcode::SWAP, 2);
          builder_.emit(Opcode::POP_EXCEPT);
          break;
      }
    }
    blocks_ = std::move(saved);
    return {};
  }

  Status inline_finally(const Block& body, bool preserve_top) {
    (void)preserve_top;  // the body leaves the stack as it found it
    return block(body);
  }

  // try/except/else/finally. The except part is a SETUP_EXCEPT block whose handler tests each
  // clause in turn; a finally wraps everything in a second block and also runs inline on every
  // normal way out.
  Status try_statement(const Stmt& s) {
    const Block* finally = s.finally.empty() ? nullptr : &s.finally;
    Label finally_handler = builder_.new_label(), end = builder_.new_label();
    if (finally) {
      builder_.emit_jump(Opcode::SETUP_EXCEPT, finally_handler);
      blocks_.push_back({FrameBlock::Kind::kTryBody, {}, finally});
    }
    if (s.handlers.empty()) {
      GYRO_TRY(block(s.body));
    } else {
      Label handlers = builder_.new_label(), after = builder_.new_label();
      builder_.emit_jump(Opcode::SETUP_EXCEPT, handlers);
      blocks_.push_back({FrameBlock::Kind::kTryBody, {}, nullptr});
      GYRO_TRY(block(s.body));
      blocks_.pop_back();
      builder_.emit(Opcode::POP_BLOCK);
      GYRO_TRY(block(s.orelse));
      builder_.emit_jump(Opcode::JUMP, after);
      builder_.bind(handlers);  // [exc]
      for (const Handler& handler : s.handlers) {
        builder_.set_line(handler.location.line);
        Label next = builder_.new_label();
        if (handler.type) {
          GYRO_TRY(expr(*handler.type));
          builder_.emit(Opcode::CHECK_EXC_MATCH);
          builder_.emit_jump(Opcode::POP_JUMP_IF_FALSE, next);
        }
        if (!handler.name.empty()) {
          builder_.emit(Opcode::COPY, 1);
          GYRO_TRY(name(handler.name, Access::kStore, handler.location));
        }
        blocks_.push_back({FrameBlock::Kind::kHandler, {}, nullptr});
        GYRO_TRY(block(handler.body));
        blocks_.pop_back();
        if (!handler.name.empty()) {
          // Python unbinds `as e` after the handler (e = None; del e), so the exception and
          // its traceback don't outlive it.
          constant(Constant());
          GYRO_TRY(name(handler.name, Access::kStore, handler.location));
          GYRO_TRY(name(handler.name, Access::kDelete, handler.location));
        }
        builder_.emit(Opcode::POP_EXCEPT);
        builder_.emit_jump(Opcode::JUMP, after);
        builder_.bind(next);
        if (!handler.type) break;  // a bare except matches everything
      }
      if (s.handlers.back().type) builder_.emit(Opcode::RERAISE);
      builder_.bind(after);
    }
    if (finally) {
      blocks_.pop_back();
      builder_.emit(Opcode::POP_BLOCK);
      GYRO_TRY(block(*finally));
      builder_.emit_jump(Opcode::JUMP, end);
      builder_.bind(finally_handler);  // [exc]
      blocks_.push_back({FrameBlock::Kind::kFinallyBody, {}, nullptr});
      GYRO_TRY(block(*finally));
      blocks_.pop_back();
      builder_.emit(Opcode::RERAISE);
    }
    builder_.bind(end);
    return {};
  }

  Status definition(const Stmt& s) {
    const Scope& child = *scope_.children.at(&s);
    for (const auto& decorator : s.decorators) GYRO_TRY(expr(*decorator));
    builder_.set_line(s.location.line);
    std::shared_ptr<Code> code;
    if (s.kind == StmtKind::kDef) {
      CodeGen nested(child, s.name, filename_, s.location.line);
      GYRO_ASSIGN_OR_RETURN(code, nested.function(s));
    } else {
      CodeGen nested(child, s.name, filename_, s.location.line);
      GYRO_ASSIGN_OR_RETURN(code, nested.body(s.body));
    }
    uint32_t flags = 0;
    std::vector<const Expr*> defaults;
    for (const auto& parameter : s.parameters)
      if (parameter.default_value) defaults.push_back(parameter.default_value.get());
    if (!defaults.empty()) {
      for (const Expr* value : defaults) GYRO_TRY(expr(*value));
      builder_.emit(Opcode::BUILD_TUPLE, static_cast<uint32_t>(defaults.size()));
      flags |= 1;
    }
    GYRO_TRY(make_function(code, flags));
    if (s.kind == StmtKind::kClass) {
      constant(Constant::string(s.name));
      for (const auto& base : s.bases) GYRO_TRY(expr(*base));
      builder_.emit(Opcode::BUILD_TUPLE, static_cast<uint32_t>(s.bases.size()));
      builder_.emit(Opcode::BUILD_CLASS);
    }
    for (std::size_t i = 0; i < s.decorators.size(); ++i) builder_.emit(Opcode::CALL, 1);
    return name(s.name, Access::kStore, s.location);
  }

  // MAKE_FUNCTION for `code` (defaults already on the stack when flags has bit 0), with a
  // closure tuple of this scope's cells for every free variable the code needs.
  Status make_function(const std::shared_ptr<Code>& code, uint32_t flags) {
    if (!code->free_names.empty()) {
      for (const auto& free : code->free_names) {
        uint32_t index = scope_.cells.count(free) ? builder_.cell(free) : builder_.free_var(free);
        builder_.emit(Opcode::LOAD_CLOSURE, index);
      }
      builder_.emit(Opcode::BUILD_TUPLE, static_cast<uint32_t>(code->free_names.size()));
      flags |= 2;
    }
    constant(Constant::code(code));
    builder_.emit(Opcode::MAKE_FUNCTION, flags);
    return {};
  }

  Status augmented(const Stmt& s) {
    const Expr& target = *s.targets[0];
    const uint32_t op = static_cast<uint32_t>(s.binop);
    switch (target.kind) {
      case ExprKind::kName:
        GYRO_TRY(name(target.text, Access::kLoad, target.location));
        GYRO_TRY(expr(*s.value));
        builder_.emit(Opcode::BINARY_OP, op);
        return name(target.text, Access::kStore, target.location);
      case ExprKind::kAttribute:
        GYRO_TRY(expr(*target.left));    // obj
        builder_.emit(Opcode::COPY, 1);  // obj obj
        builder_.emit(Opcode::LOAD_ATTR, builder_.name(target.text));
        GYRO_TRY(expr(*s.value));
        builder_.emit(Opcode::BINARY_OP, op);  // obj result
        builder_.emit(Opcode::SWAP, 2);        // result obj
        builder_.emit(Opcode::STORE_ATTR, builder_.name(target.text));
        return {};
      case ExprKind::kSubscript:
        GYRO_TRY(expr(*target.left));
        GYRO_TRY(expr(*target.right));  // obj idx
        builder_.emit(Opcode::COPY, 2);
        builder_.emit(Opcode::COPY, 2);        // obj idx obj idx
        builder_.emit(Opcode::BINARY_SUBSCR);  // obj idx value
        GYRO_TRY(expr(*s.value));
        builder_.emit(Opcode::BINARY_OP, op);  // obj idx result
        builder_.emit(Opcode::SWAP, 3);        // result idx obj
        builder_.emit(Opcode::SWAP, 2);        // result obj idx
        builder_.emit(Opcode::STORE_SUBSCR);
        return {};
      default:
        return error_at(target.location, "illegal expression for augmented assignment");
    }
  }

  Status store(const Expr& target) {
    switch (target.kind) {
      case ExprKind::kName:
        return name(target.text, Access::kStore, target.location);
      case ExprKind::kAttribute:
        GYRO_TRY(expr(*target.left));
        builder_.emit(Opcode::STORE_ATTR, builder_.name(target.text));
        return {};
      case ExprKind::kSubscript:
        GYRO_TRY(expr(*target.left));
        GYRO_TRY(expr(*target.right));
        builder_.emit(Opcode::STORE_SUBSCR);
        return {};
      case ExprKind::kTuple:
      case ExprKind::kList:
        for (const auto& item : target.items)
          if (item->kind == ExprKind::kStarred)
            return error_at(item->location,
                            "starred assignment targets are not supported by gyro script");
        builder_.emit(Opcode::UNPACK_SEQUENCE, static_cast<uint32_t>(target.items.size()));
        for (const auto& item : target.items) GYRO_TRY(store(*item));
        return {};
      default:
        return error_at(target.location, "cannot assign to {}", expr_kind_name(target.kind));
    }
  }

  // Jumps to `otherwise` when `test` is false.
  Status condition(const Expr& test, Label otherwise) {
    GYRO_TRY(expr(test));
    builder_.emit_jump(Opcode::POP_JUMP_IF_FALSE, otherwise);
    return {};
  }

  // ---- expressions ----
  Status compare(CompareKind kind) {
    switch (kind) {
      case CompareKind::kLess:
        builder_.emit(Opcode::COMPARE_OP, static_cast<uint32_t>(CompareOp::LT));
        break;
      case CompareKind::kLessEqual:
        builder_.emit(Opcode::COMPARE_OP, static_cast<uint32_t>(CompareOp::LE));
        break;
      case CompareKind::kEqual:
        builder_.emit(Opcode::COMPARE_OP, static_cast<uint32_t>(CompareOp::EQ));
        break;
      case CompareKind::kNotEqual:
        builder_.emit(Opcode::COMPARE_OP, static_cast<uint32_t>(CompareOp::NE));
        break;
      case CompareKind::kGreater:
        builder_.emit(Opcode::COMPARE_OP, static_cast<uint32_t>(CompareOp::GT));
        break;
      case CompareKind::kGreaterEqual:
        builder_.emit(Opcode::COMPARE_OP, static_cast<uint32_t>(CompareOp::GE));
        break;
      case CompareKind::kIs:
        builder_.emit(Opcode::IS_OP, 0);
        break;
      case CompareKind::kIsNot:
        builder_.emit(Opcode::IS_OP, 1);
        break;
      case CompareKind::kIn:
        builder_.emit(Opcode::CONTAINS_OP, 0);
        break;
      case CompareKind::kNotIn:
        builder_.emit(Opcode::CONTAINS_OP, 1);
        break;
    }
    return {};
  }

  bool has_starred(const std::vector<ExprPtr>& items) const {
    return std::any_of(items.begin(), items.end(),
                       [](const ExprPtr& e) { return e && e->kind == ExprKind::kStarred; });
  }

  // Builds a list from items, some of them *starred (LIST_APPEND / LIST_EXTEND).
  Status starred_list(const std::vector<ExprPtr>& items) {
    builder_.emit(Opcode::BUILD_LIST, 0);
    for (const auto& item : items) {
      if (item->kind == ExprKind::kStarred) {
        GYRO_TRY(expr(*item->left));
        builder_.emit(Opcode::LIST_EXTEND, 1);
      } else {
        GYRO_TRY(expr(*item));
        builder_.emit(Opcode::LIST_APPEND, 1);
      }
    }
    return {};
  }

  Status expr(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kName:
        return name(e.text, Access::kLoad, e.location);
      case ExprKind::kInt:
        constant(Constant::integer(e.int_value));
        return {};
      case ExprKind::kFloat:
        constant(Constant::real(e.float_value));
        return {};
      case ExprKind::kString:
        constant(Constant::string(e.text));
        return {};
      case ExprKind::kBool:
        constant(Constant::boolean(e.int_value != 0));
        return {};
      case ExprKind::kNone:
        constant(Constant());
        return {};
      case ExprKind::kEllipsis:
        constant(Constant::ellipsis());
        return {};
      case ExprKind::kBinary:
        GYRO_TRY(expr(*e.left));
        GYRO_TRY(expr(*e.right));
        builder_.emit(Opcode::BINARY_OP, static_cast<uint32_t>(e.binop));
        return {};
      case ExprKind::kUnary:
        GYRO_TRY(expr(*e.left));
        builder_.emit(e.unary == TokenKind::kMinus  ? Opcode::UNARY_NEGATIVE
                      : e.unary == TokenKind::kPlus ? Opcode::UNARY_POSITIVE
                                                    : Opcode::UNARY_INVERT);
        return {};
      case ExprKind::kNot:
        GYRO_TRY(expr(*e.left));
        builder_.emit(Opcode::UNARY_NOT);
        return {};
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        Label end = builder_.new_label();
        Opcode jump =
            e.kind == ExprKind::kAnd ? Opcode::JUMP_IF_FALSE_OR_POP : Opcode::JUMP_IF_TRUE_OR_POP;
        for (std::size_t i = 0; i < e.items.size(); ++i) {
          GYRO_TRY(expr(*e.items[i]));
          if (i + 1 < e.items.size()) builder_.emit_jump(jump, end);
        }
        builder_.bind(end);
        return {};
      }
      case ExprKind::kCompare: {
        GYRO_TRY(expr(*e.left));
        if (e.compares.size() == 1) {
          GYRO_TRY(expr(*e.items[0]));
          return compare(e.compares[0]);
        }
        // a < b < c: b is evaluated once and kept for the next comparison.
        Label cleanup = builder_.new_label(), end = builder_.new_label();
        for (std::size_t i = 0; i < e.compares.size(); ++i) {
          GYRO_TRY(expr(*e.items[i]));
          if (i + 1 < e.compares.size()) {
            builder_.emit(Opcode::SWAP, 2);
            builder_.emit(Opcode::COPY, 2);
            GYRO_TRY(compare(e.compares[i]));
            builder_.emit_jump(Opcode::JUMP_IF_FALSE_OR_POP, cleanup);
          } else {
            GYRO_TRY(compare(e.compares[i]));
          }
        }
        builder_.emit_jump(Opcode::JUMP, end);
        builder_.bind(cleanup);
        builder_.emit(Opcode::SWAP, 2);
        builder_.emit(Opcode::POP_TOP);
        builder_.bind(end);
        return {};
      }
      case ExprKind::kCall:
        return call(e);
      case ExprKind::kAttribute:
        GYRO_TRY(expr(*e.left));
        builder_.emit(Opcode::LOAD_ATTR, builder_.name(e.text));
        return {};
      case ExprKind::kSubscript:
        GYRO_TRY(expr(*e.left));
        GYRO_TRY(expr(*e.right));
        builder_.emit(Opcode::BINARY_SUBSCR);
        return {};
      case ExprKind::kSlice:
        for (const auto& bound : e.items) {
          if (bound) {
            GYRO_TRY(expr(*bound));
          } else {
            constant(Constant());
          }
        }
        if (e.third) {
          GYRO_TRY(expr(*e.third));
          builder_.emit(Opcode::BUILD_SLICE, 3);
        } else {
          builder_.emit(Opcode::BUILD_SLICE, 2);
        }
        return {};
      case ExprKind::kList:
        if (has_starred(e.items)) return starred_list(e.items);
        for (const auto& item : e.items) GYRO_TRY(expr(*item));
        builder_.emit(Opcode::BUILD_LIST, static_cast<uint32_t>(e.items.size()));
        return {};
      case ExprKind::kTuple:
        if (has_starred(e.items))
          return error_at(e.location, "starred items in a tuple are not supported by gyro script");
        for (const auto& item : e.items) GYRO_TRY(expr(*item));
        builder_.emit(Opcode::BUILD_TUPLE, static_cast<uint32_t>(e.items.size()));
        return {};
      case ExprKind::kDict:
        for (std::size_t i = 0; i < e.items.size(); ++i) {
          GYRO_TRY(expr(*e.items[i]));
          GYRO_TRY(expr(*e.values[i]));
        }
        builder_.emit(Opcode::BUILD_MAP, static_cast<uint32_t>(e.items.size()));
        return {};
      case ExprKind::kIfElse: {
        Label orelse = builder_.new_label(), end = builder_.new_label();
        GYRO_TRY(condition(*e.right, orelse));
        GYRO_TRY(expr(*e.left));
        builder_.emit_jump(Opcode::JUMP, end);
        builder_.bind(orelse);
        GYRO_TRY(expr(*e.third));
        builder_.bind(end);
        return {};
      }
      case ExprKind::kListComp: {
        CodeGen nested(*scope_.children.at(&e), "<listcomp>", filename_, e.location.line);
        GYRO_ASSIGN_OR_RETURN(std::shared_ptr<Code> code, nested.comprehension(e));
        GYRO_TRY(make_function(code, 0));
        GYRO_TRY(expr(*e.comp_iter));
        builder_.emit(Opcode::GET_ITER);
        builder_.emit(Opcode::CALL, 1);
        return {};
      }
      case ExprKind::kStarred:
        return error_at(e.location, "can't use starred expression here");
    }
    return {};
  }

  // Whether `super` in this scope means the builtin (no binding of the name here or in an
  // enclosing function or the module), so a zero-argument super() may take its arguments from
  // the method. Enclosing class bodies do not count: their names are not visible in methods.
  bool super_is_builtin() const {
    for (const Scope* each = &scope_; each; each = each->parent) {
      if (each != &scope_ && each->kind == ScopeKind::kClass) continue;
      if (each->assigned.count("super") || each->cells.count("super")) return false;
    }
    return true;
  }

  // super() in a method: super(__class__, <first argument>), as CPython's frame lookup gives.
  // Without a first argument it stays a zero-argument call (RuntimeError "super(): no
  // arguments"); in a function outside any class it raises as CPython does when it runs.
  Status zero_argument_super(const Expr& e) {
    std::size_t positional = scope_.parameters.size() - (scope_.varargs ? 1 : 0);
    if (scope_.kind != ScopeKind::kFunction || positional == 0) {
      GYRO_TRY(expr(*e.left));
      builder_.emit(Opcode::CALL, 0);
      return {};
    }
    if (!scope_.frees.count(kClassCell)) {
      builder_.emit(Opcode::LOAD_GLOBAL, builder_.name("RuntimeError"));
      constant(Constant::string("super(): __class__ cell not found"));
      builder_.emit(Opcode::CALL, 1);
      builder_.emit(Opcode::RAISE_VARARGS, 1);
      return {};  // what follows is unreachable (the verifier only walks reachable code)
    }
    GYRO_TRY(expr(*e.left));
    builder_.emit(Opcode::LOAD_DEREF, builder_.free_var(kClassCell));
    GYRO_TRY(name(scope_.parameters[0], Access::kLoad, e.location));
    builder_.emit(Opcode::CALL, 2);
    return {};
  }

  Status call(const Expr& e) {
    if (e.left->kind == ExprKind::kName && e.left->text == "super" && e.items.empty() &&
        e.keywords.empty() && super_is_builtin())
      return zero_argument_super(e);
    const bool starred = has_starred(e.items);
    if (starred) {
      GYRO_TRY(expr(*e.left));
      GYRO_TRY(starred_list(e.items));
      if (!e.keywords.empty()) {
        for (const auto& keyword : e.keywords) {
          constant(Constant::string(keyword.name));
          GYRO_TRY(expr(*keyword.value));
        }
        builder_.emit(Opcode::BUILD_MAP, static_cast<uint32_t>(e.keywords.size()));
      }
      builder_.emit(Opcode::CALL_EX, e.keywords.empty() ? 0 : 1);
      return {};
    }
    const uint32_t count = static_cast<uint32_t>(e.items.size() + e.keywords.size());
    if (e.left->kind == ExprKind::kAttribute && e.keywords.empty()) {
      GYRO_TRY(expr(*e.left->left));
      builder_.emit(Opcode::LOAD_METHOD, builder_.name(e.left->text));
      for (const auto& item : e.items) GYRO_TRY(expr(*item));
      builder_.emit(Opcode::CALL_METHOD, count);
      return {};
    }
    GYRO_TRY(expr(*e.left));
    for (const auto& item : e.items) GYRO_TRY(expr(*item));
    if (e.keywords.empty()) {
      builder_.emit(Opcode::CALL, count);
      return {};
    }
    std::vector<Constant> names;
    for (const auto& keyword : e.keywords) {
      GYRO_TRY(expr(*keyword.value));
      names.push_back(Constant::string(keyword.name));
    }
    constant(Constant::tuple(std::move(names)));
    builder_.emit(Opcode::CALL_KW, count);
    return {};
  }

  const Scope& scope_;
  CodeBuilder builder_;
  std::string_view filename_;
  std::vector<FrameBlock> blocks_;
};

}  // namespace

Expected<std::shared_ptr<const Code>> compile(const Module& module) {
  Scope top;
  top.kind = ScopeKind::kModule;
  ScopeBuilder(top).block(module.body);
  GYRO_TRY(resolve(top, module.filename));
  CodeGen gen(top, "<module>", module.filename, 1);
  GYRO_ASSIGN_OR_RETURN(std::shared_ptr<Code> code, gen.body(module.body));
  return std::shared_ptr<const Code>(std::move(code));
}

Expected<std::shared_ptr<const Code>> compile_source(std::string_view source,
                                                     std::string_view filename) {
  GYRO_ASSIGN_OR_RETURN(Module module, parse(source, filename));
  return compile(module);
}

}  // namespace gyro::lang
