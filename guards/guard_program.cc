// Encoding guards into checks and side tables, ordering them, and decoding them back.
#include "guards/guard_program.h"

#include <algorithm>
#include <bit>

namespace gyro::guards {

uint32_t GuardProgram::add_text(std::string_view text) {
  auto offset = static_cast<uint32_t>(text_.size());
  text_.append(text);
  return offset;
}

void GuardProgram::push_back(const Guard& guard) {
  GuardCheck check;
  check.kind = guard.kind;
  check.source = guard.source;
  switch (guard.kind) {
    case GuardKind::TYPE_MATCH:
    case GuardKind::ID_MATCH:
      check.identity = guard.identity;
      check.side = add_text(guard.type_name);
      check.count = static_cast<uint32_t>(guard.type_name.size());
      break;
    case GuardKind::CONSTANT_MATCH:
      check.constant_kind = guard.constant.kind();
      switch (guard.constant.kind()) {
        case Constant::Kind::kNone:
          break;
        case Constant::Kind::kBool:
          check.value = guard.constant.as_bool() ? 1 : 0;
          break;
        case Constant::Kind::kInt:
          check.value = guard.constant.as_int();
          break;
        case Constant::Kind::kFloat:
          check.value = std::bit_cast<int64_t>(guard.constant.as_float());
          break;
        case Constant::Kind::kString:
          check.side = add_text(guard.constant.as_string());
          check.count = static_cast<uint32_t>(guard.constant.as_string().size());
          break;
        case Constant::Kind::kCode:
        case Constant::Kind::kTuple:
        case Constant::Kind::kEllipsis:
          GYRO_UNREACHABLE("CONSTANT_MATCH on a {} constant", guard.constant.repr());
      }
      break;
    case GuardKind::LENGTH:
      check.value = guard.length;
      break;
    case GuardKind::TENSOR_MATCH:
      GYRO_ASSERT(guard.tensor.sizes.size() == guard.tensor.strides.size(),
                  "TENSOR_MATCH with {} sizes and {} strides", guard.tensor.sizes.size(),
                  guard.tensor.strides.size());
      check.dtype = guard.tensor.dtype;
      check.rank = static_cast<uint8_t>(guard.tensor.sizes.size());
      check.side = static_cast<uint32_t>(dims_.size());
      check.count = 2u * check.rank;
      dims_.insert(dims_.end(), guard.tensor.sizes.begin(), guard.tensor.sizes.end());
      dims_.insert(dims_.end(), guard.tensor.strides.begin(), guard.tensor.strides.end());
      break;
    case GuardKind::SYMBOLIC_INT:
      check.value = guard.symbol;
      break;
    case GuardKind::SHAPE:
      check.side = add_text(guard.relation_text);
      check.count = static_cast<uint32_t>(guard.relation_text.size());
      GYRO_ASSERT(guard.relation.size() <= 0xffff, "a shape relation of {} steps",
                  guard.relation.size());
      check.value = static_cast<int64_t>(shape_code_.size() << 16 | guard.relation.size());
      shape_code_.insert(shape_code_.end(), guard.relation.begin(), guard.relation.end());
      break;
    case GuardKind::NO_ALIASING:
    case GuardKind::DUPLICATE_INPUT:
      check.side = static_cast<uint32_t>(others_.size());
      check.count = static_cast<uint32_t>(guard.unaliased.size());
      others_.insert(others_.end(), guard.unaliased.begin(), guard.unaliased.end());
      break;
  }
  checks_.push_back(check);
}

void GuardProgram::finish() {
  // The same order as order_guards: side-table offsets travel with their checks.
  std::stable_sort(checks_.begin(), checks_.end(), [](const GuardCheck& a, const GuardCheck& b) {
    int cost_a = guard_cost(a.kind), cost_b = guard_cost(b.kind);
    if (cost_a != cost_b) return cost_a < cost_b;
    return a.source < b.source;
  });
  checks_.shrink_to_fit();
  dims_.shrink_to_fit();
  text_.shrink_to_fit();
  others_.shrink_to_fit();
  shape_code_.shrink_to_fit();
}

Guard GuardProgram::decode(const GuardCheck& check) const {
  Guard guard(check.kind, check.source);
  switch (check.kind) {
    case GuardKind::TYPE_MATCH:
    case GuardKind::ID_MATCH:
      guard.identity = check.identity;
      guard.type_name = std::string(text(check));
      break;
    case GuardKind::CONSTANT_MATCH:
      switch (check.constant_kind) {
        case Constant::Kind::kBool:
          guard.constant = Constant::boolean(check.value != 0);
          break;
        case Constant::Kind::kInt:
          guard.constant = Constant::integer(check.value);
          break;
        case Constant::Kind::kFloat:
          guard.constant = Constant::real(std::bit_cast<double>(check.value));
          break;
        case Constant::Kind::kString:
          guard.constant = Constant::string(std::string(text(check)));
          break;
        case Constant::Kind::kNone:  // push_back admits no other kind
        case Constant::Kind::kCode:
        case Constant::Kind::kTuple:
        case Constant::Kind::kEllipsis:
          break;
      }
      break;
    case GuardKind::LENGTH:
      guard.length = check.value;
      break;
    case GuardKind::TENSOR_MATCH:
      guard.tensor.dtype = check.dtype;
      guard.tensor.sizes = Dims(std::span<const int64_t>(sizes(check), check.rank));
      guard.tensor.strides = Dims(std::span<const int64_t>(strides(check), check.rank));
      break;
    case GuardKind::SYMBOLIC_INT:
      guard.symbol = static_cast<int>(check.value);
      break;
    case GuardKind::SHAPE: {
      guard.relation_text = std::string(text(check));
      auto code = relation(check);
      guard.relation.assign(code.begin(), code.end());
      break;
    }
    case GuardKind::NO_ALIASING:
    case GuardKind::DUPLICATE_INPUT: {
      auto list = others(check);
      guard.unaliased.assign(list.begin(), list.end());
      break;
    }
  }
  return guard;
}

GuardProgram order_guards(GuardProgram program) {
  program.finish();
  return program;
}

}  // namespace gyro::guards
