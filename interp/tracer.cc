// The symbolic evaluator's entry: trace_frame runs a Tracer over a frame from pc 0 or a
// resume point; the break reasons' texts come from break_reasons.def.
#include "interp/tracer.h"

#include "interp/tracer_impl.h"

namespace gyro {

namespace {

struct ReasonText {
  std::string_view name, explanation, hint;
};
constexpr ReasonText kReasonTexts[] = {
#define BREAK_REASON(name, explanation, hint) {#name, explanation, hint},
#include "interp/break_reasons.def"
#undef BREAK_REASON
};

}  // namespace

std::string_view break_reason_name(BreakReason reason) {
  return kReasonTexts[static_cast<int>(reason)].name;
}
std::string_view break_reason_explanation(BreakReason reason) {
  return kReasonTexts[static_cast<int>(reason)].explanation;
}
std::string_view break_reason_hint(BreakReason reason) {
  return kReasonTexts[static_cast<int>(reason)].hint;
}

std::string TraceStop::describe() const {
  return fmt::format("{} ({}:{}): {}{}{}", break_reason_name(reason), filename, line,
                     break_reason_explanation(reason), detail.empty() ? "" : "; ", detail);
}

namespace tracing {

namespace {

// Whether `pc` lies in a loop of `code`: a jump at or after it goes back to it or before.
bool inside_a_loop(const Code& code, std::size_t pc) {
  for (std::size_t at = pc; at < code.instructions.size(); ++at)
    if (is_jump(code.instructions[at].opcode) && code.instructions[at].arg <= pc) return true;
  return false;
}

}  // namespace

std::variant<Capture, TraceStop> Tracer::run(std::span<const Value> locals,
                                             std::span<const Value> stack, std::size_t start_pc) {
  const auto& function = root_.as<FunctionObject>();
  const Code& code = *function.code;
  std::vector<std::optional<Sym>> symbolic(code.local_names.size());
  std::vector<Value> concrete(locals.begin(), locals.end());
  // Bound locals are realized when first read; unbound ones stay unbound.
  for (std::size_t i = 0; i < concrete.size(); ++i)
    if (!identical(concrete[i], vm_.no_self_marker())) lazy_locals_.push_back(i);
  root_locals_ = std::move(concrete);
  // A resume point's live stack is read at once (its values are the next operands).
  std::vector<Sym> initial_stack;
  line_ = code.lines[start_pc];
  for (std::size_t i = 0; i < stack.size(); ++i) {
    SourceId slot = capture_.sources.stack_slot(static_cast<int64_t>(i));
    if (stack[i].is(ObjectKind::Iterator)) {
      // A loop the break happened in: its iterator stays the VM's (the bytecode puts an
      // iterator in this slot at this pc, so nothing needs guarding); the trace runs the
      // rest of this pass and stops at the loop's next FOR_ITER.
      Sym iterator;
      iterator.kind = Sym::Kind::kVmIterator;
      iterator.source = slot;
      initial_stack.push_back(std::move(iterator));
      continue;
    }
    auto value = realize(stack[i], slot);
    if (!value) {
      TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
      return stop;
    }
    initial_stack.push_back(std::move(*value));
  }
  capture_.start_pc = static_cast<int64_t>(start_pc);
  std::vector<Sym> cells;
  if (!code.cell_names.empty() || !code.free_names.empty()) {
    // The frame's cells at a resume point are the VM's; only a fresh frame's are known.
    if (start_pc != 0) {
      TraceStop stop{BreakReason::UnsupportedOpcode, code.filename, line_,
                     "resuming a frame that has closure cells"};
      return stop;
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(code.arg_count); ++i)
      for (const std::string& name : code.cell_names)
        if (code.local_names[i] == name && !symbolic[i]) {
          auto value = realize(root_locals_[i], capture_.sources.local(i, code.local_names[i]));
          if (value) symbolic[i] = std::move(*value);
        }
    auto made =
        stop_ ? std::nullopt : make_cells(function, symbolic, nullptr, kNoSource, /*root=*/true);
    if (!made) {
      TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
      return stop;
    }
    cells = std::move(*made);
  }
  auto result = run_code(function, std::move(symbolic), /*depth=*/0, /*root=*/true, start_pc,
                         std::move(initial_stack), std::move(cells));
  if (result && made_in_trace(*result)) {
    TraceStop stop{BreakReason::UnsupportedBuiltin, code.filename, line_,
                   "returning a function or cell made in the trace"};
    return stop;
  }
  if (!result) {
    TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
    // A graph break: the graph so far, then the VM from the breaking instruction (at the
    // outermost call site when the break is inside an inlined call). With no tensor work
    // before it the entry is still worth having, as Dynamo's resume functions are: the VM runs
    // the breaking instruction and the code after it is traced from there. But not in a loop,
    // where Dynamo skips the frame: each pass would resume through the cache, for nothing.
    // (At a loop's FOR_ITER even an empty graph is worth an entry: the VM then runs one
    // instruction, and the next pass of the loop finds its own entries again.) A user error
    // leaves the whole frame to the VM.
    const bool worth_a_graph =
        snapshot_ && (snapshot_->call_count > 0 || stop.reason == BreakReason::LoopResume ||
                      !inside_a_loop(code, snapshot_->pc));
    if (stop.reason == BreakReason::UserError || stop.reason == BreakReason::ConstraintViolation ||
        !worth_a_graph || !plan_break(*snapshot_))
      return stop;
    capture_.break_reason = stop.describe();
  } else {
    auto planned = plan_state(*result);
    if (!planned) {
      TraceStop stop{BreakReason::UnsupportedBuiltin, code.filename, line_,
                     "returning a value the trace cannot rebuild"};
      return stop;
    }
    capture_.result = std::move(*planned);
  }
  plan_write_backs();
  if (!bind_tensor_outputs()) {
    TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
    return stop;
  }
  guard_stored_objects();
  if (!guard_shapes()) {
    TraceStop stop{stop_->reason, code.filename, line_, stop_->detail};
    return stop;
  }
  capture_.guards = guards::order_guards(std::move(capture_.guards));
  builder_.set_outputs(std::move(outputs_));
  auto graph = run_passes(builder_.finish(), {"dce"});
  if (!graph.ok()) {
    TraceStop stop{BreakReason::UnsupportedOpcode, code.filename, line_, graph.error().message};
    return stop;
  }
  capture_.graph = std::move(*graph);
  capture_.sources.freeze();
  return std::move(capture_);
}

}  // namespace tracing

std::variant<Capture, TraceStop> trace_frame(Interpreter& vm, const Value& function,
                                             std::span<const Value> locals,
                                             std::span<const Value> stack, std::size_t start_pc,
                                             ShapePolicy policy) {
  tracing::Tracer tracer(vm, function, std::move(policy));
  return tracer.run(locals, stack, start_pc);
}

}  // namespace gyro
