// The reference VM's evaluation loop: one handler per opcode of opcodes.def, dispatched by
// threaded code (each handler jumps straight to the next one's), with calls between script
// functions made inside the loop, and fast paths for int/float arithmetic and cached globals.
#include <limits>

#include "interp/operand_checks.h"
#include "interp/frame.h"
#include "interp/interpreter.h"
#include "interp/python_ops.h"
#include "interp/special_methods.h"
#include "ir/python_arith.h"

namespace gyro {

bool delete_list_items(Interpreter& vm, std::vector<Value>& items,
                       const Value& index);  // subscript.cc

namespace {

// Python's int and float arithmetic on two ints, when no error or overflow can occur; false
// leaves the operation to binary_op (which raises or handles it).
inline bool fast_int_op(Binop op, int64_t x, int64_t y, int64_t& result) {
  switch (op) {
    case Binop::ADD:
    case Binop::INPLACE_ADD:
      return !__builtin_add_overflow(x, y, &result);
    case Binop::SUBTRACT:
    case Binop::INPLACE_SUBTRACT:
      return !__builtin_sub_overflow(x, y, &result);
    case Binop::MULTIPLY:
    case Binop::INPLACE_MULTIPLY:
      return !__builtin_mul_overflow(x, y, &result);
    case Binop::REMAINDER:
    case Binop::INPLACE_REMAINDER:
      if (y == 0) return false;
      result = python_mod(x, y);
      return true;
    case Binop::FLOOR_DIVIDE:
    case Binop::INPLACE_FLOOR_DIVIDE:
      if (y == 0 || (y == -1 && x == std::numeric_limits<int64_t>::min())) return false;
      result = python_floor_divide(x, y);
      return true;
    default:
      return false;
  }
}

inline bool fast_float_op(Binop op, double x, double y, double& result) {
  switch (op) {
    case Binop::ADD:
    case Binop::INPLACE_ADD:
      result = x + y;
      return true;
    case Binop::SUBTRACT:
    case Binop::INPLACE_SUBTRACT:
      result = x - y;
      return true;
    case Binop::MULTIPLY:
    case Binop::INPLACE_MULTIPLY:
      result = x * y;
      return true;
    case Binop::TRUE_DIVIDE:
    case Binop::INPLACE_TRUE_DIVIDE:
      if (y == 0) return false;
      result = x / y;
      return true;
    default:
      return false;
  }
}

template <typename T>
inline bool compare_numbers(CompareOp op, T x, T y) {
  switch (op) {
    case CompareOp::LT:
      return x < y;
    case CompareOp::LE:
      return x <= y;
    case CompareOp::EQ:
      return x == y;
    case CompareOp::NE:
      return x != y;
    case CompareOp::GT:
      return x > y;
    case CompareOp::GE:
      return x >= y;
  }
  return false;
}

}  // namespace

std::optional<Value> Interpreter::run_frame(Frame& entry, std::size_t start_pc,
                                            std::size_t* paused_at) {
  // The running frame and its hot fields, reloaded when a call enters or a return leaves one.
  Frame* frame = &entry;
  const Code* code;
  const Instruction* instructions;
  const Instruction* ip;  // the instruction being run
  Value* locals;
  Value* sp;
  Dict* globals;
  const Value* names;
  const Value* constants;
  GlobalSlot* global_slots;
  Dict& builtins = builtins_.as<DictObject>().table;
  auto load_frame = [&]() __attribute__((always_inline)) {
    code = frame->code;
    instructions = code->instructions.data();
    ip = instructions;
    locals = frame->locals;
    sp = frame->top;
    globals = &frame->globals().as<DictObject>().table;
    names = frame->cache->names.data();
    constants = frame->cache->constants.data();
    global_slots = frame->cache->globals.data();
  };
  load_frame();
  ip = instructions + start_pc;
  // A single step ends however the frame leaves (a return or an exception included).
  struct EndStep {
    Frame*& pause_frame;
    bool active;
    ~EndStep() {
      if (active) pause_frame = nullptr;
    }
  } end_step{pause_frame_, paused_at != nullptr};
  if (paused_at) {
    // One instruction of `entry`, then stop where its next one would start: the breaker fires
    // after the first dispatch, and returns and slow handlers check pause_frame_.
    pause_frame_ = &entry;
    next_check_ = steps_ + 2;
  }

  // The operand stack: slots at and above sp hold no object (None or a plain number), so a
  // push is an assignment and a pop a move.
  auto push = [&](auto&& value) __attribute__((always_inline)) {
    *sp++ = std::forward<decltype(value)>(value);
  };
  auto pop = [&]() __attribute__((always_inline)) {
    return std::move(*--sp);
  };
  auto drop = [&](std::size_t count) __attribute__((always_inline)) {
    for (std::size_t i = 0; i < count; ++i) *--sp = Value();
  };
  // Pushes an operation's result, or raises its error; false when it failed.
  auto push_result = [&](Expected<Value> result) {
    if (!result.ok()) {
      raise(result.error());
      return false;
    }
    *sp++ = std::move(*result);
    return true;
  };
  // Pushes a VM call's result; false when it raised (the exception is already set).
  auto push_optional = [&](std::optional<Value> result) {
    if (!result) return false;
    *sp++ = std::move(*result);
    return true;
  };
  auto unbound_local = [&](uint32_t index) {
    raise_named("UnboundLocalError",
                fmt::format("cannot access local variable '{}' where it is not associated with "
                            "a value",
                            code->local_names[index]));
  };

  static void* const kHandlers[] = {
#define OPCODE(name, ...) &&handle_##name,
#include "ir/opcodes.def"
#undef OPCODE
  };
  Instruction instruction;
  uint32_t arg;
  bool ok;
  std::size_t jump_target = 0;

// Runs the instruction at ip; every few thousand instructions the breaker checks the host's
// interrupt and the step budget first.
#define DISPATCH_CURRENT()                                          \
  do {                                                              \
    if (__builtin_expect(++steps_ >= next_check_, 0)) goto breaker; \
    instruction = *ip;                                              \
    arg = instruction.arg;                                          \
    ok = true;                                                      \
    goto* kHandlers[static_cast<int>(instruction.opcode)];          \
  } while (0)
// Ending a handler. FINISH and JUMP_TO leave through a plain goto, which runs the destructors
// of the handler's locals (an indirect goto does not: GCC skips them, clang refuses). The
// hot paths, written to hold no local with a destructor, dispatch straight from where they
// are with NEXT and GO_TO (threaded code: one indirect jump per handler); clang checks that.
#define FINISH() goto finish
#define JUMP_TO(target)     \
  do {                      \
    jump_target = (target); \
    goto jump;              \
  } while (0)
#define NEXT()          \
  do {                  \
    ++ip;               \
    DISPATCH_CURRENT(); \
  } while (0)
#define GO_TO(target)             \
  do {                            \
    ip = instructions + (target); \
    DISPATCH_CURRENT();           \
  } while (0)
#define TARGET(name) handle_##name:

  DISPATCH_CURRENT();
  {
    TARGET(NOP)
    NEXT();
    TARGET(POP_TOP)
    *--sp = Value();
    NEXT();
    TARGET(COPY)
    push(sp[-static_cast<std::ptrdiff_t>(arg)]);
    NEXT();
    TARGET(SWAP)
    std::swap(sp[-1], sp[-static_cast<std::ptrdiff_t>(arg)]);
    NEXT();
    TARGET(LOAD_CONST)
    push(constants[arg]);
    NEXT();
    TARGET(LOAD_FAST) {
      const Value& value = locals[arg];
      if (identical(value, no_self_)) {
        ok = false;
        unbound_local(arg);
        FINISH();
      }
      push(value);
      NEXT();
    }
    TARGET(STORE_FAST)
    locals[arg] = pop();
    NEXT();
    TARGET(DELETE_FAST)
    if (identical(locals[arg], no_self_)) {
      ok = false;
      unbound_local(arg);
      FINISH();
    }
    locals[arg] = no_self_;
    FINISH();
    TARGET(DELETE_GLOBAL)
    TARGET(DELETE_NAME) {
      Dict& target =
          instruction.opcode == Opcode::DELETE_NAME && frame->namespace_dict.is(ObjectKind::Dict)
              ? frame->namespace_dict.as<DictObject>().table
              : *globals;
      auto erased = target.erase(names[arg]);
      if (!erased.ok() || !*erased) {
        ok = false;
        raise_named("NameError", fmt::format("name '{}' is not defined", code->names[arg]));
      }
      FINISH();
    }
    TARGET(LOAD_DEREF) {
      auto& cell = frame->cells[arg].as<CellObject>();
      if (!cell.bound) {
        ok = false;
        // As CPython 3.11: the function's own cell is a local variable not yet assigned; a
        // free variable is the enclosing function's.
        if (arg < code->cell_names.size()) {
          raise_named("UnboundLocalError",
                      fmt::format("cannot access local variable '{}' where it is not "
                                  "associated with a value",
                                  code->cell_names[arg]));
        } else {
          raise_named("NameError",
                      fmt::format("cannot access free variable '{}' where it is not associated "
                                  "with a value in enclosing scope",
                                  code->free_names[arg - code->cell_names.size()]));
        }
        FINISH();
      }
      push(cell.value);
      FINISH();
    }
    TARGET(STORE_DEREF) {
      auto& cell = frame->cells[arg].as<CellObject>();
      cell.value = pop();
      cell.bound = true;
      FINISH();
    }
    TARGET(LOAD_CLOSURE)
    push(frame->cells[arg]);
    FINISH();
    TARGET(LOAD_GLOBAL) {
      GlobalSlot& slot = global_slots[arg];
      if (slot.globals_version == globals->keys_version()) {
        if (slot.builtins_version == 0) {
          push(globals->value_at(slot.position));
          NEXT();
        }
        if (slot.builtins_version == builtins.keys_version()) {
          push(builtins.value_at(slot.position));
          NEXT();
        }
      }
      // A miss: look the name up and remember where it was found.
      if (int64_t position = globals->find(names[arg]); position >= 0) {
        slot = {globals->keys_version(), 0, position};
        push(globals->value_at(position));
      } else if (position = builtins.find(names[arg]); position >= 0) {
        slot = {globals->keys_version(), builtins.keys_version(), position};
        push(builtins.value_at(position));
      } else {
        ok = false;
        raise_named("NameError", fmt::format("name '{}' is not defined", code->names[arg]));
      }
      FINISH();
    }
    TARGET(LOAD_NAME) {
      const Value& key = names[arg];
      int64_t position = -1;
      if (frame->namespace_dict.is(ObjectKind::Dict)) {
        Dict& local = frame->namespace_dict.as<DictObject>().table;
        if (position = local.find(key); position >= 0) {
          push(local.value_at(position));
          FINISH();
        }
      }
      if (position = globals->find(key); position >= 0) {
        push(globals->value_at(position));
      } else if (position = builtins.find(key); position >= 0) {
        push(builtins.value_at(position));
      } else {
        ok = false;
        raise_named("NameError", fmt::format("name '{}' is not defined", code->names[arg]));
      }
      FINISH();
    }
    TARGET(STORE_GLOBAL) {
      GlobalSlot& slot = global_slots[arg];
      if (slot.globals_version == globals->keys_version() && slot.builtins_version == 0) {
        globals->value_at(slot.position) = pop();
        NEXT();
      }
      (void)globals->set(names[arg], pop());
      FINISH();
    }
    TARGET(STORE_NAME) {
      Dict& target = frame->namespace_dict.is(ObjectKind::Dict)
                         ? frame->namespace_dict.as<DictObject>().table
                         : *globals;
      (void)target.set(names[arg], pop());
      FINISH();
    }
    TARGET(LOAD_ATTR) {
      Value& object = sp[-1];
      if (object.is(ObjectKind::Instance)) {
        Dict& own = object.as<InstanceObject>().attributes.as<DictObject>().table;
        AttributeSlot& slot = frame->cache->attributes[arg];
        if (slot.version == own.keys_version() && slot.position >= 0) {
          object = own.value_at(slot.position);
          NEXT();
        }
        if (int64_t position = own.find(names[arg]); position >= 0) {
          slot = {own.keys_version(), position};
          object = own.value_at(position);
          NEXT();
        }
      }
      Value target = pop();
      ok = push_optional(get_attribute(target, names[arg]));
      FINISH();
    }
    TARGET(STORE_ATTR) {
      if (sp[-1].is(ObjectKind::Instance)) {
        // An instance attribute that exists already: replaced in place.
        Dict& own = sp[-1].as<InstanceObject>().attributes.as<DictObject>().table;
        AttributeSlot& slot = frame->cache->attributes[arg];
        int64_t position = slot.version == own.keys_version() && slot.position >= 0
                               ? slot.position
                               : own.find(names[arg]);
        if (position >= 0) {
          slot = {own.keys_version(), position};
          own.value_at(position) = std::move(sp[-2]);
          drop(2);
          NEXT();
        }
      }
      Value object = pop();
      Value value = pop();
      ok = set_attribute(object, names[arg], std::move(value)).has_value();
      FINISH();
    }
    TARGET(LOAD_METHOD) {
      if (sp[-1].is(ObjectKind::Instance)) {
        // A method of the instance's own class, as last time: no dict lookups at all.
        const auto& instance = sp[-1].as<InstanceObject>();
        const Dict& own = instance.attributes.as<DictObject>().table;
        MethodSlot& slot = frame->cache->methods[arg];
        if (slot.cls == instance.cls.as_object() && slot.own_version == own.keys_version()) {
          const Dict& methods = instance.cls.as<ClassObject>().attributes.as<DictObject>().table;
          // (The position still holds the name; its value may have been replaced.)
          if (slot.class_version == methods.keys_version() &&
              methods.value_at(slot.position).is(ObjectKind::Function)) {
            sp[0] = std::move(sp[-1]);  // self moves up: the method goes under it
            sp[-1] = methods.value_at(slot.position);
            ++sp;
            NEXT();
          }
        }
        if (own.find(names[arg]) < 0) {
          const Dict& methods = instance.cls.as<ClassObject>().attributes.as<DictObject>().table;
          int64_t position = methods.find(names[arg]);
          if (position >= 0 && methods.value_at(position).is(ObjectKind::Function)) {
            slot = {own.keys_version(), instance.cls.as_object(), methods.keys_version(), position};
            sp[0] = std::move(sp[-1]);
            sp[-1] = methods.value_at(position);
            ++sp;
            NEXT();
          }
        }
      }
      Value object = pop();
      bool wants_self = false;
      auto callable = get_method(object, names[arg], wants_self);
      if (!callable) {
        ok = false;
        FINISH();
      }
      push(std::move(*callable));
      push(wants_self ? std::move(object) : no_self_);
      FINISH();
    }
    TARGET(UNARY_NEGATIVE)
    TARGET(UNARY_POSITIVE)
    TARGET(UNARY_INVERT) {
      Value operand = pop();
      ok = push_result(instruction.opcode == Opcode::UNARY_NEGATIVE   ? unary_negative(operand)
                       : instruction.opcode == Opcode::UNARY_POSITIVE ? unary_positive(operand)
                                                                      : unary_invert(operand));
      FINISH();
    }
    TARGET(UNARY_NOT) {
      Value operand = pop();
      auto truth = truth_of(*this, operand);
      if (!truth) {
        ok = false;
        FINISH();
      }
      push(Value::boolean(!*truth));
      FINISH();
    }
    TARGET(BINARY_OP) {
      const Value& left = sp[-2];
      const Value& right = sp[-1];
      const Binop op = static_cast<Binop>(arg);
      if (left.is_int() && right.is_int()) {
        int64_t result;
        if (fast_int_op(op, left.as_int(), right.as_int(), result)) {
          --sp;
          sp[-1] = Value::integer(result);
          NEXT();
        }
      } else if (left.is_float() && right.is_float()) {
        double result;
        if (fast_float_op(op, left.as_float(), right.as_float(), result)) {
          --sp;
          sp[-1] = Value::real(result);
          NEXT();
        }
      }
      Value right_value = pop();
      Value left_value = pop();
      ok = push_result(binary_op(op, left_value, right_value));
      FINISH();
    }
    TARGET(COMPARE_OP) {
      const Value& left = sp[-2];
      const Value& right = sp[-1];
      const CompareOp op = static_cast<CompareOp>(arg);
      if (left.is_int() && right.is_int()) {
        bool result = compare_numbers(op, left.as_int(), right.as_int());
        --sp;
        sp[-1] = Value::boolean(result);
        NEXT();
      }
      if (left.is_float() && right.is_float()) {
        bool result = compare_numbers(op, left.as_float(), right.as_float());
        --sp;
        sp[-1] = Value::boolean(result);
        NEXT();
      }
      Value right_value = pop();
      Value left_value = pop();
      ok = push_result(compare_op(op, left_value, right_value));
      FINISH();
    }
    TARGET(IS_OP) {
      Value right = pop();
      Value left = pop();
      bool same = identical(left, right) ||
                  (left.is_bool() && right.is_bool() && left.as_bool() == right.as_bool());
      push(Value::boolean(arg ? !same : same));
      FINISH();
    }
    TARGET(CONTAINS_OP) {
      Value container = pop();
      Value item = pop();
      auto found = contains(container, item);
      if (!found.ok()) {
        ok = false;
        raise(found.error());
        FINISH();
      }
      push(Value::boolean(arg ? !*found : *found));
      FINISH();
    }
    TARGET(BINARY_SUBSCR) {
      Value index = pop();
      Value container = pop();
      ok = push_optional(subscript(container, index));
      FINISH();
    }
    TARGET(STORE_SUBSCR) {
      Value index = pop();
      Value container = pop();
      Value value = pop();
      ok = store_subscript(container, index, std::move(value));
      FINISH();
    }
    TARGET(DELETE_SUBSCR) {
      Value index = pop();
      Value container = pop();
      if (container.is(ObjectKind::Dict)) {
        auto erased = container.as<DictObject>().table.erase(index);
        if (!erased.ok()) {
          ok = false;
          raise(erased.error());
        } else if (!*erased) {
          ok = false;
          raise_with_args("KeyError", {index});
        }
      } else if (container.is(ObjectKind::List)) {
        ok = delete_list_items(*this, container.as<ListObject>().items, index);
      } else {
        ok = false;
        raise(ErrorKind::TypeError, "'{}' object doesn't support item deletion",
              type_name(container));
      }
      FINISH();
    }
    TARGET(BUILD_SLICE) {
      Value step = arg == 3 ? pop() : Value();
      Value stop = pop();
      Value start = pop();
      push(make_slice(std::move(start), std::move(stop), std::move(step)));
      FINISH();
    }
    TARGET(BUILD_TUPLE)
    TARGET(BUILD_LIST) {
      std::vector<Value> items(std::make_move_iterator(sp - arg), std::make_move_iterator(sp));
      sp -= arg;
      push(instruction.opcode == Opcode::BUILD_TUPLE ? make_tuple(std::move(items))
                                                     : make_list(std::move(items)));
      FINISH();
    }
    TARGET(BUILD_MAP) {
      Value dict = make_dict();
      Dict& table = dict.as<DictObject>().table;
      Value* base = sp - 2 * arg;
      for (std::size_t i = 0; i < arg && ok; ++i) {
        Status status = table.set(base[2 * i], base[2 * i + 1]);
        if (!status.ok()) {
          ok = false;
          raise(status.error());
        }
      }
      drop(2 * arg);
      if (ok) push(std::move(dict));
      FINISH();
    }
    TARGET(LIST_APPEND) {
      Value item = pop();
      if (const char* wrong = list_operand_error(sp[-static_cast<std::ptrdiff_t>(arg)])) {
        ok = false;
        raise(ErrorKind::TypeError, "LIST_APPEND needs {}", wrong);
        FINISH();
      }
      sp[-static_cast<std::ptrdiff_t>(arg)].as<ListObject>().items.push_back(std::move(item));
      FINISH();
    }
    TARGET(LIST_EXTEND) {
      Value iterable = pop();
      if (const char* wrong = list_operand_error(sp[-static_cast<std::ptrdiff_t>(arg)])) {
        ok = false;
        raise(ErrorKind::TypeError, "LIST_EXTEND needs {}", wrong);
        FINISH();
      }
      auto items = collect(iterable);
      if (!items) {
        ok = false;
        FINISH();
      }
      auto& target = sp[-static_cast<std::ptrdiff_t>(arg)].as<ListObject>().items;
      target.insert(target.end(), items->begin(), items->end());
      FINISH();
    }
    TARGET(UNPACK_SEQUENCE) {
      Value sequence = pop();
      auto items = collect(sequence);
      if (!items) {
        ok = false;
        FINISH();
      }
      if (items->size() != arg) {
        ok = false;
        if (items->size() > arg)
          raise(ErrorKind::ValueError, "too many values to unpack (expected {})", arg);
        else
          raise(ErrorKind::ValueError, "not enough values to unpack (expected {}, got {})", arg,
                items->size());
        FINISH();
      }
      for (auto it = items->rbegin(); it != items->rend(); ++it) push(std::move(*it));
      FINISH();
    }
    TARGET(JUMP)
    GO_TO(arg);
    TARGET(POP_JUMP_IF_FALSE)
    TARGET(POP_JUMP_IF_TRUE) {
      if (sp[-1].is_bool()) {
        // A comparison's result: no truth protocol, nothing to release.
        bool truth = (--sp)->as_bool();
        if (truth == (instruction.opcode == Opcode::POP_JUMP_IF_TRUE)) GO_TO(arg);
        NEXT();
      }
      Value condition = pop();
      bool truth;
      if (condition.is_bool()) {
        truth = condition.as_bool();
      } else {
        auto result = truth_of(*this, condition);
        if (!result) {
          ok = false;
          FINISH();
        }
        truth = *result;
      }
      if (truth == (instruction.opcode == Opcode::POP_JUMP_IF_TRUE)) JUMP_TO(arg);
      FINISH();
    }
    TARGET(JUMP_IF_FALSE_OR_POP)
    TARGET(JUMP_IF_TRUE_OR_POP) {
      auto result = truth_of(*this, sp[-1]);
      if (!result) {
        ok = false;
        FINISH();
      }
      if (*result == (instruction.opcode == Opcode::JUMP_IF_TRUE_OR_POP)) JUMP_TO(arg);
      *--sp = Value();
      FINISH();
    }
    TARGET(GET_ITER) {
      Value iterable = pop();
      ok = push_optional(iterate(iterable));
      FINISH();
    }
    TARGET(FOR_ITER) {
      if (!sp[-1].is(ObjectKind::Iterator)) {
        ok = false;
        raise(ErrorKind::TypeError, "FOR_ITER needs an iterator (GET_ITER's) on top, not {}",
              type_name(sp[-1]));
        FINISH();
      }
      auto& iterator = sp[-1].as<IteratorObject>();
      if (iterator.source == IteratorObject::Source::kRange) {
        // Ranges are the common loop: stepped here without the general protocol.
        if (iterator.step > 0 ? iterator.index >= iterator.stop : iterator.index <= iterator.stop) {
          *--sp = Value();
          GO_TO(arg);
        }
        push(Value::integer(iterator.index));
        if (__builtin_add_overflow(iterator.index, iterator.step, &iterator.index))
          iterator.index = iterator.stop;
        NEXT();
      }
      bool exhausted = false;
      auto item = next(sp[-1], exhausted);
      if (exhausted) {
        *--sp = Value();
        JUMP_TO(arg);
      } else if (!item) {
        ok = false;
      } else {
        push(std::move(*item));
      }
      FINISH();
    }
    TARGET(RETURN_VALUE) {
      if (frame != &entry) {
        // Back to the caller inside the loop, the result moved straight onto its stack.
        Frame* caller = frame->caller;
        *caller->top++ = std::move(*--sp);
        frame->top = sp;
        leave_frame(*frame);
        frame = caller;
        load_frame();
        ip = instructions + frame->call_pc;  // resumes after the call
        if (__builtin_expect(frame == pause_frame_, 0)) {
          ++ip;
          goto pause;
        }
        NEXT();
      }
      Value result = pop();
      frame->top = sp;
      return result;
    }
    TARGET(CALL)
    TARGET(CALL_METHOD) {
      // The arguments are passed in place: this frame's stack does not move during the call.
      std::size_t consumed = arg + 1;
      Value* callable;
      std::span<const Value> args;
      if (instruction.opcode == Opcode::CALL_METHOD) {
        ++consumed;
        Value* self = sp - arg - 1;
        callable = self - 1;
        // Self and the arguments are adjacent: the method's arguments as they stand.
        args = identical(*self, no_self_) ? std::span<const Value>(self + 1, arg)
                                          : std::span<const Value>(self, arg + 1);
      } else {
        callable = sp - arg - 1;
        args = std::span<const Value>(callable + 1, arg);
      }
      if (callable->is(ObjectKind::Function) && !compile_config_.compile_all) {
        const auto& function = callable->as<FunctionObject>();
        if (function.cache_owner == this && function.cache->plain_arguments &&
            args.size() == static_cast<std::size_t>(function.code->arg_count) &&
            depth_ < limits_.max_call_depth) {
          // The common call: positional arguments moved straight into the new frame's locals.
          Frame& callee = push_frame(*callable, Value());
          Value* callee_locals = callee.locals;
          Value* given = const_cast<Value*>(args.data());  // this frame's own stack slots
          for (std::size_t i = 0; i < args.size(); ++i) callee_locals[i] = std::move(given[i]);
          for (std::size_t i = args.size(); i < callee.cache->local_count; ++i)
            callee_locals[i] = no_self_;
          drop(consumed);
          frame->top = sp;
          frame->call_pc = static_cast<std::size_t>(ip - instructions);
          callee.caller = frame;
          frame = &callee;
          load_frame();
          GO_TO(0);
        }
        // A script function runs in this loop: its frame is entered here, not in C++ recursion.
        Frame* callee = enter_frame(*callable, args, {}, Value());
        drop(consumed);
        if (!callee) {
          ok = false;
          FINISH();
        }
        frame->top = sp;
        frame->call_pc = static_cast<std::size_t>(ip - instructions);
        callee->caller = frame;
        frame = callee;
        load_frame();
        JUMP_TO(0);
      }
      auto result = call(*callable, args);
      drop(consumed);
      ok = push_optional(std::move(result));
      FINISH();
    }
    TARGET(CALL_KW) {
      if (const char* wrong = call_kw_names_error(sp[-1], arg)) {
        ok = false;
        raise(ErrorKind::TypeError, "CALL_KW needs {}", wrong);
        FINISH();
      }
      const auto& keyword_names = sp[-1].as<TupleObject>().items;
      const std::size_t keyword_count = keyword_names.size();
      const std::size_t positional = arg - keyword_count;
      Value* args = sp - 1 - arg;
      std::vector<KeywordArg> kwargs;
      kwargs.reserve(keyword_count);
      // The names stay alive on the stack while the keyword views point at them.
      for (std::size_t i = 0; i < keyword_count; ++i)
        kwargs.push_back({keyword_names[i].as<StrObject>().text, args[positional + i]});
      auto result = call(args[-1], std::span<const Value>(args, positional), kwargs);
      kwargs.clear();
      drop(arg + 2);
      ok = push_optional(std::move(result));
      FINISH();
    }
    TARGET(CALL_EX) {
      Value kwargs_dict = arg ? pop() : Value();
      Value args_value = pop();
      Value callable = pop();
      auto args = collect(args_value);
      if (!args) {
        ok = false;
        FINISH();
      }
      std::vector<KeywordArg> kwargs;
      if (arg) {
        if (!kwargs_dict.is(ObjectKind::Dict)) {
          ok = false;
          raise(ErrorKind::TypeError, "argument after ** must be a mapping, not {}",
                type_name(kwargs_dict));
          FINISH();
        }
        bool all_str = true;
        kwargs_dict.as<DictObject>().table.for_each([&](const Value& key, const Value& value) {
          if (key.is(ObjectKind::Str))
            kwargs.push_back({key.as<StrObject>().text, value});
          else
            all_str = false;
        });
        if (!all_str) {
          ok = false;
          raise(ErrorKind::TypeError, "keywords must be strings");
          FINISH();
        }
      }
      ok = push_optional(call(callable, *args, kwargs));
      FINISH();
    }
    TARGET(MAKE_FUNCTION) {
      Value shell = pop();
      Value closure = (arg & 2) ? pop() : Value();
      Value defaults = (arg & 1) ? pop() : Value();
      // gyro script always hands MAKE_FUNCTION what it needs; other bytecode (assembly, a
      // host's builder) may not, and the verifier does not track value kinds.
      if (const char* wrong = make_function_operands_error(shell, closure, defaults)) {
        ok = false;
        raise(ErrorKind::TypeError, "MAKE_FUNCTION needs {}", wrong);
        FINISH();
      }
      Value function = Value::object(new FunctionObject());
      auto& object = function.as<FunctionObject>();
      object.code = shell.as<FunctionObject>().code;
      object.globals = frame->globals();
      object.defaults = std::move(defaults);
      object.closure = std::move(closure);
      push(std::move(function));
      FINISH();
    }
    TARGET(BUILD_CLASS) {
      Value bases = pop();
      Value name = pop();
      Value body = pop();
      ok = push_optional(build_class(body, name, bases));
      FINISH();
    }
    TARGET(SETUP_EXCEPT)
    frame->blocks.push_back({arg, static_cast<std::size_t>(sp - frame->stack)});
    FINISH();
    TARGET(POP_BLOCK)
    frame->blocks.pop_back();
    FINISH();
    TARGET(CHECK_EXC_MATCH) {
      Value type = pop();
      const Value& exception = sp[-1];
      // As CPython: every class named must be an exception class (`except int:` is an error
      // whether or not the exception would have matched).
      auto catchable = [](const Value& cls) {
        return cls.is(ObjectKind::Class) && cls.as<ClassObject>().is_exception;
      };
      bool match = false, valid = true;
      if (type.is(ObjectKind::Tuple)) {
        for (const Value& each : type.as<TupleObject>().items) {
          valid &= catchable(each);
          match |= valid && is_instance(exception, each);
        }
      } else {
        valid = catchable(type);
        match = valid && is_instance(exception, type);
      }
      if (!valid) {
        ok = false;
        raise(ErrorKind::TypeError,
              "catching classes that do not inherit from BaseException is not allowed");
        FINISH();
      }
      push(Value::boolean(match));
      FINISH();
    }
    TARGET(POP_EXCEPT)
    *--sp = Value();
    if (!frame->handled.empty()) frame->handled.pop_back();
    FINISH();
    TARGET(RERAISE)
    ok = false;
    raise_value(pop());
    if (!frame->handled.empty()) frame->handled.pop_back();
    FINISH();
    TARGET(RAISE_VARARGS) {
      ok = false;
      if (arg == 0) {
        if (frame->handled.empty()) {
          raise(ErrorKind::RuntimeError, "No active exception to reraise");
        } else {
          raise_value(frame->handled.back());
        }
        FINISH();
      }
      Value exception = pop();
      if (exception.is(ObjectKind::Class) && exception.as<ClassObject>().is_exception) {
        auto instance = call(exception, {});
        if (!instance) FINISH();
        exception = std::move(*instance);
      }
      if (!(exception.is(ObjectKind::Instance) &&
            exception.as<InstanceObject>().cls.as<ClassObject>().is_exception)) {
        raise(ErrorKind::TypeError, "exceptions must derive from BaseException");
        FINISH();
      }
      raise_value(std::move(exception));
      FINISH();
    }
    TARGET(LOAD_ASSERTION_ERROR)
    push(builtin_class("AssertionError"));
    FINISH();
  }

finish:
  if (!ok) goto error;
  if (__builtin_expect(frame == pause_frame_, 0)) {
    ++ip;
    goto pause;
  }
  NEXT();
jump:
  GO_TO(jump_target);
breaker:
  if (frame == pause_frame_) goto pause;
  if (check_breaker()) {
    instruction = *ip;
    arg = instruction.arg;
    ok = true;
    goto* kHandlers[static_cast<int>(instruction.opcode)];
  }
  goto error;
pause:
  // The single step asked for is done: the frame stops at its next instruction. A compiled
  // loop that breaks on every pass runs nothing but such steps, so the interrupt flag, the
  // collector and the step budget get their turn here too.
  frame->top = sp;
  pause_frame_ = nullptr;
  if (!check_breaker()) goto error;
  *paused_at = static_cast<std::size_t>(ip - instructions);
  return Value();
error : {
  // Unwind to the innermost handler, leaving the frames called in this loop that have none.
  frame->top = sp;
  std::size_t pc = static_cast<std::size_t>(ip - instructions);
  while (!handle_exception(*frame, pc)) {
    if (frame == &entry) return std::nullopt;
    Frame* caller = frame->caller;
    leave_frame(*frame);
    frame = caller;
    pc = frame->call_pc;
  }
  load_frame();
  GO_TO(frame->resume);
}
#undef TARGET
#undef GO_TO
#undef NEXT
#undef JUMP_TO
#undef FINISH
#undef DISPATCH_CURRENT
}

}  // namespace gyro
