// GuardProgram: a cache entry's guards in compact form: one fixed 24-byte check per guard, in
// checking order, with the rare big payloads (tensor sizes and strides, type names, strings,
// aliasing partners) in side tables. It reads like a container of Guards (push_back,
// iteration, operator[] decode a check back into a Guard), so explain() and logs describe it
// as before; the frame cache reads the checks themselves.
#pragma once

#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "guards/guard.h"

namespace gyro::guards {

// One guard, as a program checks it. The fields a kind does not use stay zero.
struct GuardCheck {
  GuardKind kind = GuardKind::TYPE_MATCH;
  DType dtype = DType::Float32;                          // TENSOR_MATCH
  uint8_t rank = 0;                                      // TENSOR_MATCH
  Constant::Kind constant_kind = Constant::Kind::kNone;  // CONSTANT_MATCH
  SourceId source = kNoSource;
  // Where the payload lives in a side table, and how long it is:
  //   TYPE_MATCH, ID_MATCH    text: the type name the trace saw (for messages)
  //   CONSTANT_MATCH (str)    text: the string
  //   TENSOR_MATCH            dims: `rank` sizes, then `rank` strides (count = 2 * rank)
  //   NO_ALIASING             others: the sources that must not share storage with `source`
  //   SHAPE                   text: the relation in the user's words
  uint32_t side = 0;
  uint32_t count = 0;
  // TYPE_MATCH: the type identity; ID_MATCH: the object; LENGTH: the length; CONSTANT_MATCH:
  // a bool or int value, or a float's bits (compared bitwise); SYMBOLIC_INT: the symbol; SHAPE: where its code starts in
  // the shape-code table, shifted left 16, or'd with its length.
  union {
    const void* identity;
    int64_t value;
  };

  GuardCheck() : value(0) {}
};
static_assert(sizeof(GuardCheck) == 24, "a guard check stays three words");

class GuardProgram {
 public:
  // Appends a guard (the tracer records them in the order it reads values).
  void push_back(const Guard& guard);
  // Orders the checks as order_guards orders guards (cheap kinds first, then by source) and
  // trims the side tables: the program is finished.
  void finish();

  std::size_t size() const { return checks_.size(); }
  bool empty() const { return checks_.empty(); }
  std::span<const GuardCheck> checks() const { return checks_; }
  // The guard a check was made from (for messages, explain() and logs).
  Guard operator[](std::size_t index) const { return decode(checks_[index]); }
  Guard decode(const GuardCheck& check) const;

  // Side tables, for a check of the kinds listed on GuardCheck.
  const int64_t* sizes(const GuardCheck& check) const { return dims_.data() + check.side; }
  const int64_t* strides(const GuardCheck& check) const {
    return dims_.data() + check.side + check.rank;
  }
  std::string_view text(const GuardCheck& check) const {
    return std::string_view(text_).substr(check.side, check.count);
  }
  std::span<const SourceId> others(const GuardCheck& check) const {
    return std::span<const SourceId>(others_).subspan(check.side, check.count);
  }
  std::span<const ShapeOp> relation(const GuardCheck& check) const {
    return std::span<const ShapeOp>(shape_code_.data() + (check.value >> 16),
                                    static_cast<std::size_t>(check.value & 0xffff));
  }
  // The symbols TENSOR_MATCH checks bind (SHAPE checks read them), and their names
  // (`x.size(0)`: the source that binds each) for failure messages.
  int num_symbols() const { return static_cast<int>(symbol_names_.size()); }
  std::span<const std::string> symbol_names() const { return symbol_names_; }
  void set_symbol_names(std::vector<std::string> names) { symbol_names_ = std::move(names); }

  // Iteration yields decoded Guards, in checking order.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Guard;
    using difference_type = std::ptrdiff_t;
    Iterator(const GuardProgram* program, std::size_t index) : program_(program), index_(index) {}
    Guard operator*() const { return (*program_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    const GuardProgram* program_;
    std::size_t index_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, checks_.size()}; }

 private:
  uint32_t add_text(std::string_view text);

  std::vector<GuardCheck> checks_;
  std::vector<int64_t> dims_;
  std::string text_;
  std::vector<SourceId> others_;
  std::vector<ShapeOp> shape_code_;
  std::vector<std::string> symbol_names_;
};

// Orders a program's checks (see GuardProgram::finish), so that a program and a list of guards
// are ordered alike.
GuardProgram order_guards(GuardProgram program);

}  // namespace gyro::guards
