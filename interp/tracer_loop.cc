// The symbolic evaluator's loop: one handler per opcode, mirroring the reference VM's
// (eval_loop.cc), over symbolic values.
#include <algorithm>

#include "interp/operand_checks.h"
#include "interp/tracer_impl.h"

namespace gyro::tracing {

std::optional<Sym> Tracer::run_code(const FunctionObject& function,
                                    std::vector<std::optional<Sym>> locals, int depth, bool root,
                                    std::size_t start_pc, std::vector<Sym> stack,
                                    std::vector<Sym> cells) {
  const Code& code = *function.code;
  std::size_t pc = start_pc;
  auto pop = [&] {
    Sym top = std::move(stack.back());
    stack.pop_back();
    return top;
  };
  while (true) {
    if (++steps_ > kMaxTraceSteps)
      return stop(BreakReason::UnsupportedOpcode, "the trace is too long");
    // A relation the shape env could not take stops the trace before the snapshot moves on:
    // the instruction that made it runs again in the VM (its result on the stack is no value).
    if (!shapes_.failure().empty()) return stop(BreakReason::SymbolicShapeLimit, shapes_.failure());
    const Instruction instruction = code.instructions[pc];
    const uint32_t arg = instruction.arg;
    if (depth == 0) {
      line_ = code.lines[pc];
      // The state a graph break hands to the VM: the frame before this instruction.
      snapshot_ = Snapshot{pc,
                           locals,
                           stack,
                           journal_.size(),
                           capture_.effects.size(),
                           builder_.graph().num_calls(),
                           made_writes_.size()};
    }
    std::size_t next = pc + 1;
    if (!keeps_sym_ints(instruction, stack, depth)) {
      // The operands this instruction takes see their values: symbolic ints are specialized.
      const int pops = std::min<int>(stack_effect(instruction.opcode, arg, false).pop,
                                     static_cast<int>(stack.size()));
      for (std::size_t i = stack.size() - pops; i < stack.size(); ++i)
        if (holds_sym_int(stack[i])) stack[i] = specialized(stack[i]);
    }
    switch (instruction.opcode) {
      case Opcode::NOP:
        break;
      case Opcode::POP_TOP:
        stack.pop_back();
        break;
      case Opcode::COPY:
        stack.push_back(stack[stack.size() - arg]);
        break;
      case Opcode::SWAP:
        std::swap(stack.back(), stack[stack.size() - arg]);
        break;
      case Opcode::LOAD_CONST: {
        // A code constant is a function shell, made into a function by MAKE_FUNCTION.
        Value value = vm_.constant_value(code.constants[arg]);
        stack.push_back(Sym::constant(value));
        break;
      }
      case Opcode::LOAD_FAST: {
        if (!locals[arg] && root && is_lazy(arg)) {
          auto value =
              realize(root_locals_[arg], capture_.sources.local(arg, code.local_names[arg]));
          if (!value) return std::nullopt;
          locals[arg] = std::move(*value);
        }
        if (!locals[arg])
          return stop(BreakReason::UserError,
                      fmt::format("local variable '{}' is unbound", code.local_names[arg]));
        stack.push_back(*locals[arg]);
        break;
      }
      case Opcode::STORE_FAST:
        locals[arg] = pop();
        if (root) {
          forget_lazy(arg);
          dirty_locals_.insert(arg);
        }
        break;
      case Opcode::LOAD_DEREF: {
        const Sym& cell = cells[arg];
        if (cell.items->empty()) {
          const std::string& name = arg < code.cell_names.size()
                                        ? code.cell_names[arg]
                                        : code.free_names[arg - code.cell_names.size()];
          return stop(BreakReason::UserError,
                      fmt::format("free variable '{}' referenced before assignment", name));
        }
        stack.push_back(cell.items->front());
        break;
      }
      case Opcode::STORE_DEREF: {
        // The VM's frame keeps its own cells at a break: a root cell stored here has no plan.
        if (root && arg < code.cell_names.size()) root_cells_stored_ = true;
        Sym& cell = cells[arg];
        Sym value = pop();
        if (cell.value.is(ObjectKind::Cell)) {
          // A cell from before the call (nonlocal): the store is replayed on it.
          auto planned = plan_state(value);
          if (!planned) return stop(BreakReason::SideEffect, "storing this value in a cell");
          SideEffect effect;
          effect.kind = SideEffect::Kind::kSetCell;
          effect.target.constant = cell.value;
          effect.args.push_back(std::move(*planned));
          capture_.effects.push_back(std::move(effect));
        }
        if (!cell.value.is(ObjectKind::Cell)) made_writes_.push_back(cell.items.get());
        cell.items->assign(1, std::move(value));
        changed_items_.push_back(cell.items);
        break;
      }
      case Opcode::LOAD_CLOSURE:
        stack.push_back(cells[arg]);
        break;
      case Opcode::MAKE_FUNCTION: {
        Sym shell = pop();
        std::optional<Sym> closure, defaults;
        if (arg & 2) closure = pop();
        if (arg & 1) defaults = pop();
        // Operands the VM refuses (bytecode not from gyro script): it raises the error itself.
        auto is_cell = [](const Sym& s) { return s.kind == Sym::Kind::kCell; };
        bool cells = !closure || (closure->kind == Sym::Kind::kTuple && closure->items &&
                                  std::all_of(closure->items->begin(), closure->items->end(),
                                              is_cell));
        // A closure must have one cell per free name: the VM raises when such a function is
        // called, and an inlined call would read cells that are not there.
        if (!shell.value.is(ObjectKind::Function) || !cells ||
            (closure && closure->items->size() !=
                            shell.value.as<FunctionObject>().code->free_names.size()))
          return stop(BreakReason::UnsupportedOpcode, "MAKE_FUNCTION on operands it cannot take");
        Value made = Value::object(new FunctionObject());
        auto& object = made.as<FunctionObject>();
        object.code = shell.value.as<FunctionObject>().code;
        object.globals = function.globals;
        if (defaults) {
          auto values = constant_index(*defaults);  // a tuple of constants
          if (!values) return stop(BreakReason::UnsupportedOpcode, "non-constant defaults");
          object.defaults = std::move(*values);
        }
        if (!closure) {
          stack.push_back(Sym::constant(std::move(made)));
          break;
        }
        Sym function_sym;
        function_sym.kind = Sym::Kind::kClosure;
        function_sym.value = std::move(made);
        function_sym.items = std::make_shared<std::vector<Sym>>(*closure->items);
        stack.push_back(std::move(function_sym));
        break;
      }
      case Opcode::LOAD_GLOBAL: {
        auto value = global(function, code.names[arg]);
        if (!value) return std::nullopt;
        stack.push_back(std::move(*value));
        break;
      }
      case Opcode::LOAD_ATTR: {
        Sym object = pop();
        auto value = attribute(object, code.names[arg]);
        if (!value) return std::nullopt;
        stack.push_back(std::move(*value));
        break;
      }
      case Opcode::STORE_ATTR: {
        // obj.name = value on an object from before the call: later reads in the trace see
        // the new value; the store itself is replayed after the graph.
        Sym object = pop(), value = pop();
        if (object.kind == Sym::Kind::kNewObject) {
          if (!store_new_object_field(object, code.names[arg], std::move(value)))
            return std::nullopt;
          break;
        }
        if (object.kind != Sym::Kind::kObject)
          return stop(BreakReason::SideEffect, "storing an attribute of this value");
        auto planned = plan_state(value);
        if (!planned) return stop(BreakReason::SideEffect, "storing this value");
        SideEffect effect;
        effect.kind = SideEffect::Kind::kSetAttribute;
        effect.target = plan(object);
        effect.name = code.names[arg];
        effect.args.push_back(std::move(*planned));
        capture_.effects.push_back(std::move(effect));
        note_store(object);
        stored_attributes_[{object.source, code.names[arg]}] = std::move(value);
        break;
      }
      case Opcode::STORE_GLOBAL: {
        Sym value = pop();
        auto planned = plan_state(value);
        if (!planned) return stop(BreakReason::SideEffect, "storing this global");
        SideEffect effect;
        effect.kind = SideEffect::Kind::kSetGlobal;
        effect.name = code.names[arg];
        effect.args.push_back(std::move(*planned));
        capture_.effects.push_back(std::move(effect));
        globals_[capture_.sources.global(code.names[arg])] = std::move(value);
        break;
      }
      case Opcode::LOAD_METHOD: {
        Sym object = pop();
        if (object.kind == Sym::Kind::kTensor || object.kind == Sym::Kind::kList ||
            object.kind == Sym::Kind::kDict) {
          Sym method;
          method.kind = Sym::Kind::kTensorMethod;
          method.name = code.names[arg];
          method.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{object});
          stack.push_back(std::move(method));
        } else {
          auto value = attribute(object, code.names[arg]);
          if (!value) return std::nullopt;
          stack.push_back(std::move(*value));
        }
        Sym no_self;
        no_self.kind = Sym::Kind::kNoSelf;
        stack.push_back(std::move(no_self));
        break;
      }
      case Opcode::UNARY_NEGATIVE: {
        Sym operand = pop();
        if (operand.kind == Sym::Kind::kSymInt) {
          auto negated = sym_int_binary(Binop::SUBTRACT, Sym::constant(Value::integer(0)), operand);
          if (!*negated) return std::nullopt;
          stack.push_back(std::move(**negated));
        } else if (operand.kind == Sym::Kind::kTensor) {
          auto result = emit_one(OpKind::neg, {current(operand.tensor)});
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
        } else if (operand.kind == Sym::Kind::kConstant) {
          auto result = unary_negative(operand.value);
          if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
          stack.push_back(Sym::constant(*result));
        } else {
          return stop(BreakReason::UnsupportedBuiltin, "unary '-'");
        }
        break;
      }
      case Opcode::UNARY_NOT: {
        auto value = truth(pop());
        if (!value) return std::nullopt;
        stack.push_back(Sym::constant(Value::boolean(!*value)));
        break;
      }
      case Opcode::BINARY_OP: {
        Sym right = pop(), left = pop();
        auto result = binary(static_cast<Binop>(arg), left, right);
        if (!result) return std::nullopt;
        stack.push_back(std::move(*result));
        break;
      }
      case Opcode::COMPARE_OP: {
        Sym right = pop(), left = pop();
        auto result = compare(static_cast<CompareOp>(arg), left, right);
        if (!result) return std::nullopt;
        stack.push_back(std::move(*result));
        break;
      }
      case Opcode::BUILD_MAP: {
        Sym dict = Sym::sequence(Sym::Kind::kDict, {});
        std::vector<Sym> pairs(stack.end() - 2 * arg, stack.end());
        stack.resize(stack.size() - 2 * arg);
        for (std::size_t i = 0; i < pairs.size(); i += 2)
          if (!dict_store(dict, pairs[i], pairs[i + 1])) return std::nullopt;
        stack.push_back(std::move(dict));
        break;
      }
      case Opcode::CONTAINS_OP: {
        Sym container = pop(), item = pop();
        bool found = false;
        if (container.kind == Sym::Kind::kDict) {
          auto key = dict_key(item);
          if (!key) return std::nullopt;
          found = dict_find(container, *key) >= 0;
        } else if (auto values = constant_index(container),
                   needle = item.kind == Sym::Kind::kConstant ? std::optional<Value>(item.value)
                                                              : std::nullopt;
                   values && needle) {
          auto result = contains(*values, *needle);
          if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
          found = *result;
        } else {
          return stop(BreakReason::UnsupportedBuiltin, "'in' on this value");
        }
        stack.push_back(Sym::constant(Value::boolean(arg ? !found : found)));
        break;
      }
      case Opcode::UNARY_POSITIVE: {
        Sym operand = pop();
        if (operand.kind == Sym::Kind::kTensor || operand.kind == Sym::Kind::kSymInt) {
          stack.push_back(std::move(operand));  // +x is x itself, as in the VM
        } else if (operand.kind == Sym::Kind::kConstant) {
          auto result = unary_positive(operand.value);
          if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
          stack.push_back(Sym::constant(*result));
        } else {
          return stop(BreakReason::UnsupportedBuiltin, "unary '+'");
        }
        break;
      }
      case Opcode::UNARY_INVERT: {
        Sym operand = pop();
        if (operand.kind == Sym::Kind::kTensor) {
          if (meta_of(operand.tensor).dtype != DType::Bool)
            return stop(BreakReason::UserError, "'~' of a non-bool tensor");
          auto result = emit_one(OpKind::logical_not, {current(operand.tensor)});
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
        } else if (operand.kind == Sym::Kind::kConstant) {
          auto result = unary_invert(operand.value);
          if (!result.ok()) return stop(BreakReason::UserError, result.error().message);
          stack.push_back(Sym::constant(*result));
        } else {
          return stop(BreakReason::UnsupportedBuiltin, "unary '~'");
        }
        break;
      }
      // Deleting names, class bodies, exception handling and raising: the VM's.
      case Opcode::DELETE_FAST:
      case Opcode::LOAD_NAME:
      case Opcode::STORE_NAME:
      case Opcode::DELETE_GLOBAL:
      case Opcode::DELETE_NAME:
      case Opcode::DELETE_SUBSCR:
      case Opcode::BUILD_CLASS:
      case Opcode::SETUP_EXCEPT:
      case Opcode::POP_BLOCK:
      case Opcode::CHECK_EXC_MATCH:
      case Opcode::POP_EXCEPT:
      case Opcode::RERAISE:
        return stop(BreakReason::UnsupportedOpcode, std::string(opcode_name(instruction.opcode)));
      case Opcode::RAISE_VARARGS:
      case Opcode::LOAD_ASSERTION_ERROR:
        // The code raises: the VM runs the frame and raises the user's own exception.
        return stop(BreakReason::UserError, std::string(opcode_name(instruction.opcode)));
      case Opcode::IS_OP: {
        Sym right = pop(), left = pop();
        bool same;
        auto inline_constant = [](const Sym& s) {
          return s.kind == Sym::Kind::kConstant && !s.value.is_object();
        };
        if (left.kind == Sym::Kind::kConstant && right.kind == Sym::Kind::kConstant) {
          same = identical(left.value, right.value);
        } else if (inline_constant(left) || inline_constant(right)) {
          same = false;  // `x is None` where x is a tensor, an object or a list
        } else if (left.kind == Sym::Kind::kTensor && right.kind == Sym::Kind::kTensor &&
                   left.tensor == right.tensor) {
          same = true;
        } else {
          return stop(BreakReason::UnsupportedBuiltin, "'is' between two objects");
        }
        stack.push_back(Sym::constant(Value::boolean(arg ? !same : same)));
        break;
      }
      case Opcode::BINARY_SUBSCR: {
        Sym index = pop(), container = pop();
        if ((container.kind == Sym::Kind::kTuple || container.kind == Sym::Kind::kList) &&
            index.kind == Sym::Kind::kConstant && index.value.is_integral()) {
          int64_t size = static_cast<int64_t>(container.items->size());
          int64_t i = index.value.as_int();
          if (i < 0) i += size;
          if (i < 0 || i >= size) return stop(BreakReason::UserError, "index out of range");
          stack.push_back((*container.items)[i]);
          break;
        }
        if ((container.kind == Sym::Kind::kTuple || container.kind == Sym::Kind::kList) &&
            index.kind == Sym::Kind::kConstant && index.value.is(ObjectKind::Slice)) {
          // xs[a:b:c]: the VM's own slicing, applied to the items' positions.
          std::vector<Value> positions;
          for (std::size_t i = 0; i < container.items->size(); ++i)
            positions.push_back(Value::integer(static_cast<int64_t>(i)));
          auto picked = vm_.subscript(make_tuple(std::move(positions)), index.value);
          if (!picked) return stop(BreakReason::UserError, str(vm_.exception()));
          std::vector<Sym> items;
          for (const Value& position : picked->as<TupleObject>().items)
            items.push_back((*container.items)[position.as_int()]);
          stack.push_back(Sym::sequence(container.kind, std::move(items)));
          break;
        }
        if (container.kind == Sym::Kind::kDict) {
          auto result = dict_load(container, index);
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
          break;
        }
        if (container.kind == Sym::Kind::kTensor) {
          auto result = index_tensor(container, index);
          if (!result) return std::nullopt;
          stack.push_back(std::move(*result));
          break;
        }
        return stop(BreakReason::UnsupportedOpcode, "subscript");
      }
      case Opcode::STORE_SUBSCR: {
        Sym index = pop(), container = pop(), value = pop();
        if (container.kind == Sym::Kind::kTensor) {
          if (!store_tensor_item(container, index, value)) return std::nullopt;
          break;
        }
        if (container.kind == Sym::Kind::kDict) {
          if (!dict_store(container, index, std::move(value))) return std::nullopt;
          break;
        }
        if (container.kind == Sym::Kind::kList && index.kind == Sym::Kind::kConstant &&
            index.value.is_integral()) {
          if (!store_list_item(container, index.value.as_int(), value)) return std::nullopt;
          break;
        }
        return stop(BreakReason::UnsupportedOpcode, "item assignment to this value");
      }
      case Opcode::BUILD_SLICE: {
        Sym step = arg == 3 ? pop() : Sym::constant(Value());
        Sym stop_bound = pop(), start = pop();
        bool symbolic = false;
        for (const Sym* part : {&start, &stop_bound, &step}) {
          symbolic = symbolic || part->kind == Sym::Kind::kSymInt;
          if (part->kind != Sym::Kind::kConstant && part->kind != Sym::Kind::kSymInt)
            return stop(BreakReason::UnsupportedOpcode, "a slice of non-constant bounds");
        }
        Sym slice = Sym::constant(make_slice(start.value, stop_bound.value, step.value));
        if (symbolic) {
          // The bounds as they are, for tensor[a:b]; any other use specializes them.
          slice.items = std::make_shared<std::vector<Sym>>(std::vector<Sym>{start, stop_bound, step});
        }
        stack.push_back(std::move(slice));
        break;
      }
      case Opcode::BUILD_TUPLE:
      case Opcode::BUILD_LIST: {
        std::vector<Sym> items(stack.end() - arg, stack.end());
        stack.resize(stack.size() - arg);
        stack.push_back(Sym::sequence(
            instruction.opcode == Opcode::BUILD_TUPLE ? Sym::Kind::kTuple : Sym::Kind::kList,
            std::move(items)));
        break;
      }
      case Opcode::UNPACK_SEQUENCE: {
        Sym sequence = pop();
        if (sequence.kind != Sym::Kind::kTuple && sequence.kind != Sym::Kind::kList)
          return stop(BreakReason::UnsupportedOpcode, "unpacking");
        if (sequence.items->size() != arg) return stop(BreakReason::UserError, "unpack count");
        for (auto it = sequence.items->rbegin(); it != sequence.items->rend(); ++it)
          stack.push_back(*it);
        break;
      }
      case Opcode::JUMP:
        next = arg;
        break;
      case Opcode::POP_JUMP_IF_FALSE:
      case Opcode::POP_JUMP_IF_TRUE: {
        auto value = truth(pop());
        if (!value) return std::nullopt;
        if (*value == (instruction.opcode == Opcode::POP_JUMP_IF_TRUE)) next = arg;
        break;
      }
      case Opcode::JUMP_IF_FALSE_OR_POP:
      case Opcode::JUMP_IF_TRUE_OR_POP: {
        auto value = truth(stack.back());
        if (!value) return std::nullopt;
        if (*value == (instruction.opcode == Opcode::JUMP_IF_TRUE_OR_POP))
          next = arg;
        else
          stack.pop_back();
        break;
      }
      case Opcode::GET_ITER: {
        Sym iterable = pop();
        Sym iterator;
        iterator.kind = Sym::Kind::kIterator;
        if (iterable.kind == Sym::Kind::kIterator) {
          stack.push_back(std::move(iterable));
          break;
        }
        if (iterable.kind == Sym::Kind::kTuple || iterable.kind == Sym::Kind::kList) {
          iterator.items = std::make_shared<std::vector<Sym>>(*iterable.items);
        } else if (iterable.kind == Sym::Kind::kDict) {
          iterator.items = std::make_shared<std::vector<Sym>>(dict_view(iterable, "keys"));
        } else if (iterable.kind == Sym::Kind::kConstant && iterable.value.is(ObjectKind::Range)) {
          const auto& range = iterable.value.as<RangeObject>();
          std::vector<Sym> items;
          for (int64_t i = 0, n = range.length(); i < n; ++i)
            items.push_back(Sym::constant(Value::integer(range.start + i * range.step)));
          iterator.items = std::make_shared<std::vector<Sym>>(std::move(items));
        } else {
          return stop(BreakReason::UnsupportedOpcode, "iteration over this value");
        }
        stack.push_back(std::move(iterator));
        break;
      }
      case Opcode::FOR_ITER: {
        if (stack.back().kind == Sym::Kind::kVmIterator) return stop(BreakReason::LoopResume);
        if (stack.back().kind != Sym::Kind::kIterator)  // the VM raises the error itself
          return stop(BreakReason::UnsupportedOpcode, "FOR_ITER without an iterator");
        Sym& iterator = stack.back();
        if (iterator.position >= iterator.items->size()) {
          stack.pop_back();
          next = arg;
        } else {
          Sym item = (*iterator.items)[iterator.position++];
          stack.push_back(std::move(item));
        }
        break;
      }
      case Opcode::RETURN_VALUE:
        return pop();
      case Opcode::CALL:
      case Opcode::CALL_METHOD:
      case Opcode::CALL_KW: {
        std::vector<std::pair<std::string, Sym>> kwargs;
        std::size_t count = arg;
        if (instruction.opcode == Opcode::CALL_KW) {
          Sym names = pop();
          if (call_kw_names_error(names.value, arg))  // the VM raises the error itself
            return stop(BreakReason::UnsupportedOpcode, "CALL_KW without its keyword names");
          const auto& keyword_names = names.value.as<TupleObject>().items;
          std::size_t first = stack.size() - keyword_names.size();
          for (std::size_t i = 0; i < keyword_names.size(); ++i)
            kwargs.push_back({keyword_names[i].as<StrObject>().text, stack[first + i]});
          stack.resize(first);
          count -= keyword_names.size();
        }
        std::vector<Sym> args(stack.end() - count, stack.end());
        stack.resize(stack.size() - count);
        if (instruction.opcode == Opcode::CALL_METHOD) {
          Sym self = pop();
          if (self.kind != Sym::Kind::kNoSelf) args.insert(args.begin(), std::move(self));
        }
        Sym callable = pop();
        auto result = call(callable, std::move(args), std::move(kwargs), depth);
        if (!result) return std::nullopt;
        stack.push_back(std::move(*result));
        break;
      }
      case Opcode::LIST_APPEND:
      case Opcode::LIST_EXTEND: {
        // Only lists the trace built itself (comprehensions, f(*args)) are extended.
        Sym item = pop();
        Sym& target = stack[stack.size() - arg];
        if (target.kind != Sym::Kind::kList || target.source != kNoSource)
          return stop(BreakReason::SideEffect, "extending an existing list");
        if (instruction.opcode == Opcode::LIST_APPEND) {
          target.items->push_back(std::move(item));
        } else {
          if (item.kind != Sym::Kind::kTuple && item.kind != Sym::Kind::kList)
            return stop(BreakReason::UnsupportedOpcode, "extending with this value");
          target.items->insert(target.items->end(), item.items->begin(), item.items->end());
        }
        break;
      }
      case Opcode::CALL_EX: {
        if (arg) return stop(BreakReason::UnsupportedOpcode, "**kwargs at a call");
        Sym sequence = pop();
        Sym callable = pop();
        if (sequence.kind != Sym::Kind::kTuple && sequence.kind != Sym::Kind::kList)
          return stop(BreakReason::UnsupportedOpcode, "*args of this value");
        auto result = call(callable, *sequence.items, {}, depth);
        if (!result) return std::nullopt;
        stack.push_back(std::move(*result));
        break;
      }
    }
    pc = next;
  }
}

}  // namespace gyro::tracing
