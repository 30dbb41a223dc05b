// The vectorized backend (fused, SIMD, threaded) against eager: hand-written and random graphs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "backends/backend.h"
#include "backends/eager/eager.h"
#include "ir/graph_builder.h"
#include "ir/graph_printer.h"
#include "tests/unit/backends/test_util.h"

using namespace gyro;
using namespace gyro::testing;

namespace {

constexpr const char* kUnderTest = "vectorized";

// ---------------------------------------------------------------- running and comparing

using Outcome = Expected<std::vector<Tensor>>;

// Every run reseeds eager's generator, so rand/randn nodes draw the same numbers on each backend.
constexpr uint64_t kRandomSeed = 20240611;

Outcome run_graph(std::string_view backend, const Graph& graph, const std::vector<Tensor>& inputs,
                  const BackendOptions& options = {}) {
  Expected<Executable> executable = compile_graph(backend, graph, inputs, options);
  if (!executable.ok()) return executable.error();
  eager::manual_seed(kRandomSeed);
  return executable->run(inputs);
}

// How far a float result may be from eager's.
//   Elementwise: float32 relative 1e-5 + absolute 1e-6 (a fused chain may contract a*b+c into one
//   FMA and use SIMD exp/tanh a few ulps from eager's); float64 relative 1e-12 + 1e-13.
//   Reassociated (a sum, mean, var, std, prod, softmax, layer_norm or GEMM upstream): vectorized
//   splits sums across SIMD lanes and threads, so float32 gets relative 1e-4 + 1e-5 and float64
//   1e-11 + 1e-12, and the relative part is also taken of the result's largest |element|: a sum
//   that cancels to near zero keeps the absolute rounding error of its large terms.
struct Tolerance {
  bool reassociated = false;
  // An inexact float32 value upstream: its rounding sets the precision of a float64 result too.
  bool float32_upstream = false;
  // Random graphs: the largest finite |element| of any inexact float value upstream. A rounding
  // difference in such a value can reach the result as an absolute error of about rel * scale (by
  // cancellation), so the relative part is taken of it too.
  double scale = 0;
};

::testing::AssertionResult close(const Tensor& got, const Tensor& want, Tolerance tolerance) {
  if (got.dtype() != want.dtype() || got.sizes() != want.sizes())
    return ::testing::AssertionFailure() << "got " << dtype_name(got.dtype()) << shape(got)
                                         << ", want " << dtype_name(want.dtype()) << shape(want);
  if (!is_floating(want.dtype())) {
    auto a = ints(got), b = ints(want);
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i])
        return ::testing::AssertionFailure() << "at " << i << ": " << a[i] << " vs " << b[i];
    return ::testing::AssertionSuccess();
  }
  const bool f64 = want.dtype() == DType::Float64 && !tolerance.float32_upstream;
  const double rel = tolerance.reassociated ? (f64 ? 1e-11 : 1e-4) : (f64 ? 1e-12 : 1e-5);
  const double abs = rel / 10;
  auto a = values(got), b = values(want);
  double scale = tolerance.scale;
  if (tolerance.reassociated)
    for (double w : b)
      if (std::isfinite(w)) scale = std::max(scale, std::abs(w));
  for (std::size_t i = 0; i < a.size(); ++i) {
    // NaN matches NaN, an infinity only itself, a finite value anything within the bound.
    bool ok = std::isnan(b[i])   ? std::isnan(a[i])
              : std::isinf(b[i]) ? a[i] == b[i]
                                 : std::abs(a[i] - b[i]) <= rel * (std::abs(b[i]) + scale) + abs;
    if (!ok)
      return ::testing::AssertionFailure() << "at " << i << ": " << a[i] << " vs eager " << b[i];
  }
  return ::testing::AssertionSuccess();
}

// The backend agrees with eager: the same error (kind and message) when eager fails, else the same
// number of outputs, each close to eager's under its tolerance (one for all, or one each).
::testing::AssertionResult same_outcome(const Outcome& got, const Outcome& want,
                                        const std::vector<Tolerance>& tolerances) {
  if (!want.ok()) {
    if (got.ok())
      return ::testing::AssertionFailure()
             << "eager fails with " << want.error().to_string() << ", the backend succeeds";
    if (got.error().kind != want.error().kind || got.error().message != want.error().message)
      return ::testing::AssertionFailure()
             << got.error().to_string() << " vs eager " << want.error().to_string();
    return ::testing::AssertionSuccess();
  }
  if (!got.ok()) return ::testing::AssertionFailure() << "fails with " << got.error().to_string();
  if (got->size() != want->size())
    return ::testing::AssertionFailure() << got->size() << " outputs vs " << want->size();
  for (std::size_t i = 0; i < want->size(); ++i) {
    Tolerance tolerance = tolerances.size() == 1 ? tolerances[0] : tolerances.at(i);
    if (auto result = close((*got)[i], (*want)[i], tolerance); !result)
      return result << " (output " << i << ")";
  }
  return ::testing::AssertionSuccess();
}

// A tensor's elements in row-major order as raw bytes: two thread counts must give the same bits
// (signed zeros and NaN payloads included), not merely close values.
std::string element_bytes(const Tensor& t) {
  std::string bytes;
  if (t.numel() == 0) return bytes;
  const char* base = static_cast<const char*>(t.raw_data());
  const std::size_t size = t.itemsize();
  for_each_offset(t.sizes(), t.strides(),
                  [&](int64_t offset) { bytes.append(base + offset * size, size); });
  return bytes;
}

::testing::AssertionResult identical(const Outcome& a, const Outcome& b) {
  if (a.ok() != b.ok()) return ::testing::AssertionFailure() << "only one run failed";
  if (!a.ok()) {
    if (a.error().kind != b.error().kind || a.error().message != b.error().message)
      return ::testing::AssertionFailure() << "the errors differ";
    return ::testing::AssertionSuccess();
  }
  if (a->size() != b->size()) return ::testing::AssertionFailure() << "output counts differ";
  for (std::size_t i = 0; i < a->size(); ++i) {
    const Tensor &x = (*a)[i], &y = (*b)[i];
    if (x.dtype() != y.dtype() || x.sizes() != y.sizes() || element_bytes(x) != element_bytes(y))
      return ::testing::AssertionFailure() << "output " << i << " differs";
  }
  return ::testing::AssertionSuccess();
}

const BackendOptions kOneThread = {{"threads", int64_t{1}}};
const BackendOptions kTwoThreads = {{"threads", int64_t{2}}};

// ---------------------------------------------------------------- hand-written graphs

// A hand-written graph and its example inputs, built op by op, then checked against eager with the
// backend's default options and with two threads (most cases are large enough to split).
class Case {
 public:
  ValueId input(Tensor value) {
    ValueId id = builder_.placeholder(fmt::format("in{}", inputs_.size()),
                                      {value.dtype(), value.sizes(), false});
    inputs_.push_back(std::move(value));
    return id;
  }
  // A Python number as a script's `x * 0.5` passes it: a 0-d wrapped graph constant.
  ValueId number(double value, DType dtype = DType::Float32) {
    return builder_.constant(Tensor::scalar(value, dtype, /*wrapped=*/true));
  }
  ValueId constant(Tensor value) { return builder_.constant(std::move(value)); }
  // A call the case expects inference to accept.
  ValueId call(OpKind op, std::initializer_list<ValueId> in, std::initializer_list<Attr> attrs = {},
               std::initializer_list<NamedAttr> named = {}) {
    Expected<ValueId> id = builder_.call1(op, in, attrs, named);
    EXPECT_TRUE(id.ok()) << op_name(op) << ": " << id.error().to_string();
    return id.value();
  }
  // A call that inference may reject (a dtype the op refuses): then no value.
  std::optional<ValueId> try_call(OpKind op, const std::vector<ValueId>& in) {
    Expected<ValueId> id = builder_.call1(op, in);
    return id.ok() ? std::optional(id.value()) : std::nullopt;
  }

  // Finishes the graph and expects the backend to agree with eager (one call per case).
  void expect_matches_eager(std::vector<ValueId> outputs, Tolerance tolerance = {}) {
    builder_.set_outputs(std::move(outputs));
    graph_ = builder_.finish();
    want_ = run_graph("eager", graph_, inputs_);
    got_ = run_graph(kUnderTest, graph_, inputs_);
    EXPECT_TRUE(same_outcome(got_, want_, {tolerance})) << "default options\n"
                                                        << print_graph(graph_);
    EXPECT_TRUE(
        same_outcome(run_graph(kUnderTest, graph_, inputs_, kTwoThreads), want_, {tolerance}))
        << "threads=2\n"
        << print_graph(graph_);
  }
  // After expect_matches_eager: the results with default options, and eager's.
  const Outcome& got() const { return got_; }
  const Outcome& want() const { return want_; }

 private:
  GraphBuilder builder_;
  std::vector<Tensor> inputs_;
  Graph graph_;
  Outcome got_ = Error{ErrorKind::RuntimeError, "not run"};
  Outcome want_ = Error{ErrorKind::RuntimeError, "not run"};
};

constexpr Tolerance kReassociated{.reassociated = true};

const std::vector<double> kSpecials = {kNaN, kInf, -kInf, -0.0, 0.0};

// `t` (contiguous) with `specials` written over a few elements spread through it.
Tensor with_specials(Tensor t, const std::vector<double>& specials = kSpecials) {
  const int64_t n = t.numel();
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      for (std::size_t k = 0; k < specials.size() && n > 0; ++k)
        t.data<T>()[(k * 7919 + 13) % n] = static_cast<T>(specials[k]);
  });
  return t;
}

// Small integers in [-span, span] of `sizes` (int64), in an irregular pattern.
Tensor small_ints(const Dims& sizes, int seed, int64_t span = 5) {
  std::vector<int64_t> data(product(sizes));
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<int64_t>((i * 7 + seed * 3) % (2 * span + 1)) - span;
  return Tensor::from_vector(data, sizes).value();
}

// Nonzero integers in [-3, 3], for divisors.
Tensor nonzero_ints(const Dims& sizes, int seed) {
  std::vector<int64_t> data(product(sizes));
  for (std::size_t i = 0; i < data.size(); ++i) {
    int64_t v = static_cast<int64_t>((i * 5 + seed) % 6);  // 0..5 -> -3..-1, 1..3
    data[i] = v < 3 ? v - 3 : v - 2;
  }
  return Tensor::from_vector(data, sizes).value();
}

Tensor bools(const Dims& sizes, int seed) {
  return ok(OpKind::gt, {irregular_tensor(sizes, seed), number(0.0)});
}

TEST(Vectorized, ElementwiseChainAcrossBlocks) {
  // relu(x * a + b) * sigmoid(x) - 0.5 on 5000 elements: several ~1024-element blocks and a tail.
  for (DType dtype : {DType::Float32, DType::Float64}) {
    Case c;
    ValueId x = c.input(with_specials(irregular_tensor({5000}, 0, dtype)));
    ValueId a = c.input(irregular_tensor({5000}, 1, dtype));
    ValueId b = c.input(irregular_tensor({5000}, 2, dtype));
    ValueId h = c.call(OpKind::relu, {c.call(OpKind::add, {c.call(OpKind::mul, {x, a}), b})});
    h = c.call(OpKind::mul, {h, c.call(OpKind::sigmoid, {x})});
    c.expect_matches_eager({c.call(OpKind::sub, {h, c.number(0.5)})});
  }
}

TEST(Vectorized, BroadcastColumnAgainstRow) {
  Case c;
  ValueId x = c.input(irregular_tensor({37, 1}, 0));
  ValueId y = c.input(irregular_tensor({1, 53}, 1));
  ValueId z = c.input(irregular_tensor({53}, 2));
  ValueId sum = c.call(OpKind::add, {x, y});
  c.expect_matches_eager({sum, c.call(OpKind::mul, {c.call(OpKind::tanh, {sum}), z})});
}

TEST(Vectorized, ZeroDimConstants) {
  // Wrapped numbers promote weakly (int64 * 2.5 -> float32, float32 + 2.5 (float64) stays float32);
  // a 0-d tensor constant that is not wrapped ranks between them.
  Case c;
  ValueId f = c.input(irregular_tensor({3, 1100}, 0));
  ValueId i = c.input(small_ints({3, 1100}, 1));
  ValueId scaled = c.call(OpKind::mul, {i, c.number(2.5)});
  ValueId shifted = c.call(OpKind::add, {f, c.number(2.5, DType::Float64)});
  ValueId offset = c.call(OpKind::sub, {i, c.number(3, DType::Int64)});
  ValueId zero_dim = c.call(OpKind::mul, {f, c.constant(Tensor::scalar(-1.25, DType::Float64))});
  ValueId int_by_zero_dim =
      c.call(OpKind::add, {i, c.constant(Tensor::scalar(0.75, DType::Float32))});
  ValueId flag = c.call(OpKind::mul, {f, c.number(1, DType::Bool)});
  c.expect_matches_eager({scaled, shifted, offset, zero_dim, int_by_zero_dim, flag});
}

TEST(Vectorized, ZeroDimInputs) {
  Case c;
  ValueId s = c.input(Tensor::scalar(0.75, DType::Float32));
  ValueId x = c.input(irregular_tensor({4, 300}, 0));
  ValueId only = c.call(OpKind::exp, {c.call(OpKind::neg, {s})});
  c.expect_matches_eager({only, c.call(OpKind::mul, {x, s}), c.call(OpKind::sum, {s})});
}

TEST(Vectorized, SizeZeroAndSizeOneDims) {
  Case c;
  ValueId empty = c.input(irregular_tensor({0, 5}, 0));
  ValueId row = c.input(irregular_tensor({1, 5}, 1));
  ValueId col = c.input(irregular_tensor({3, 1}, 2));
  ValueId one = c.input(irregular_tensor({1, 1, 1}, 3));
  ValueId empty_sum = c.call(OpKind::add, {empty, row});  // [0, 5]
  ValueId outer = c.call(OpKind::mul, {row, col});        // [3, 5]
  c.expect_matches_eager(
      {empty_sum, c.call(OpKind::exp, {empty_sum}), outer, c.call(OpKind::sub, {outer, one}),
       c.call(OpKind::sum, {empty}, {L({0})}),   // zeros [5]
       c.call(OpKind::sum, {empty}, {L({1})}),   // [0]
       c.call(OpKind::mean, {empty}, {L({0})}),  // NaN (0 / 0)
       c.call(OpKind::prod, {empty}, {L({0})}), c.call(OpKind::sum, {one})},
      kReassociated);
}

TEST(Vectorized, NonContiguousInputs) {
  // A transposed view, a view with a step of 2 and one with a broadcast (stride 0) dim.
  Tensor base = irregular_tensor({67, 130}, 0);
  Tensor stepped = base.as_strided({67, 65}, {130, 2}, 1);
  Tensor broadcast = irregular_tensor({1, 65}, 1).as_strided({67, 65}, {0, 1}, 0);
  Case c;
  ValueId t = c.input(transposed(irregular_tensor({65, 67}, 2)));
  ValueId s = c.input(stepped);
  ValueId b = c.input(broadcast);
  ValueId h = c.call(OpKind::add, {c.call(OpKind::mul, {t, s}), b});
  c.expect_matches_eager({h, c.call(OpKind::sum, {c.call(OpKind::tanh, {h})}, {L({0})})},
                         kReassociated);
}

TEST(Vectorized, ViewsInsideTheGraph) {
  Case c;
  ValueId x = c.input(irregular_tensor({33, 129}, 0));
  ValueId y = c.input(irregular_tensor({129, 33}, 1));
  ValueId v = c.input(irregular_tensor({129}, 2));
  ValueId xt = c.call(OpKind::transpose, {x}, {I(0), I(1)});  // [129, 33]
  ValueId mixed = c.call(OpKind::add, {xt, c.call(OpKind::exp, {y})});
  ValueId wide = c.call(OpKind::expand, {c.call(OpKind::unsqueeze, {v}, {I(1)})}, {L({129, 33})});
  ValueId combined = c.call(OpKind::mul, {mixed, wide});
  ValueId every_other = c.call(OpKind::slice, {combined}, {I(1), I(1), None(), I(2)});
  ValueId permuted =
      c.call(OpKind::permute, {c.call(OpKind::unsqueeze, {every_other}, {I(0)})}, {L({2, 0, 1})});
  c.expect_matches_eager(
      {combined, c.call(OpKind::relu, {permuted}), c.call(OpKind::sum, {permuted}, {L({0})}),
       c.call(OpKind::contiguous, {xt})},
      kReassociated);
}

TEST(Vectorized, MixedDtypes) {
  Case c;
  ValueId f = c.input(irregular_tensor({9, 300}, 0));
  ValueId d = c.input(irregular_tensor({300}, 1, DType::Float64));
  ValueId i = c.input(small_ints({9, 300}, 2));
  ValueId flag = c.input(bools({9, 300}, 3));
  ValueId int_plus_float = c.call(OpKind::add, {i, f});  // float32
  ValueId f32_plus_f64 = c.call(OpKind::mul, {f, d});    // float64
  ValueId picked = c.call(OpKind::where, {flag, i, f});  // float32
  ValueId less = c.call(OpKind::lt, {f, i});
  ValueId both = c.call(OpKind::logical_and, {less, flag});
  ValueId count = c.call(OpKind::sum, {both}, {L({1})});  // int64
  ValueId truncated =
      c.call(OpKind::to, {c.call(OpKind::mul, {f, c.number(3.0)})}, {DT(DType::Int64)});
  ValueId back = c.call(OpKind::to, {c.call(OpKind::add, {truncated, i})}, {DT(DType::Float64)});
  ValueId as_bool = c.call(OpKind::to, {f}, {DT(DType::Bool)});
  ValueId bool_sum = c.call(OpKind::add, {flag, as_bool});  // bool + bool: or
  ValueId bool_to_float =
      c.call(OpKind::mul, {c.call(OpKind::to, {flag}, {DT(DType::Float32)}), f});
  c.expect_matches_eager({int_plus_float, f32_plus_f64, picked, less, both, count, truncated, back,
                          as_bool, bool_sum, bool_to_float});
}

// Inputs for the op sweeps, by dtype: floats in [-2, 2) with `specials`; int64 in [-5, 5]; bools.
// The default 3 x 1100 crosses block boundaries.
Tensor sweep_input(DType dtype, int seed, const Dims& sizes = {3, 1100},
                   const std::vector<double>& specials = kSpecials) {
  switch (dtype) {
    case DType::Bool:
      return bools(sizes, seed);
    case DType::Int64:
      return small_ints(sizes, seed);
    case DType::Float32:
    case DType::Float64:
      return with_specials(irregular_tensor(sizes, seed, dtype), specials);
  }
  return Tensor();
}

// Eager's SIMD body and scalar tail disagree on sqrt(+inf) (NaN and inf) and on the sign of pow's
// result for a zero or infinite base, so which one a backend must give depends on where the element
// sits; the sweeps leave those inputs out.
const std::vector<double> kSqrtSpecials = {kNaN, -kInf, -0.0, 0.0};
const std::vector<double> kPowBaseSpecials = {kNaN};

// Every one-input elementwise row of ops.def (but `to` and clamp, which take attributes), for each
// dtype inference accepts.
TEST(Vectorized, EveryUnaryOp) {
  for (int k = 0; k < kNumOps; ++k) {
    const OpKind op = static_cast<OpKind>(k);
    const OpInfo& info = op_info(op);
    if (info.fusion != FusionClass::kElementwise || info.max_inputs != 1 || op == OpKind::to ||
        op == OpKind::clamp)
      continue;
    for (DType dtype : {DType::Float32, DType::Float64, DType::Int64, DType::Bool}) {
      Case c;
      ValueId x =
          c.input(sweep_input(dtype, k, {3, 1100}, op == OpKind::sqrt ? kSqrtSpecials : kSpecials));
      if (auto y = c.try_call(op, {x})) {
        SCOPED_TRACE(std::string(op_name(op)) + " " + std::string(dtype_name(dtype)));
        c.expect_matches_eager({*y});
      }
    }
  }
  Case c;
  ValueId x = c.input(sweep_input(DType::Float32, 0));
  c.expect_matches_eager({c.call(OpKind::gelu, {x}, {Attr::string("tanh")})});
}

// Every two-input elementwise row over operand pairs of each dtype combination (shapes
// [3, 1, 65] and [7, 1] broadcast), and with a number on either side. Integer divisors are
// nonzero, so integer // and % succeed; negative integer exponents make pow fail, as in eager.
TEST(Vectorized, EveryBinaryOp) {
  struct Pair {
    Tensor a, b;
  };
  enum class Form { kTensors, kTensorAndNumber, kNumberAndTensor };
  for (int k = 0; k < kNumOps; ++k) {
    const OpKind op = static_cast<OpKind>(k);
    const OpInfo& info = op_info(op);
    if (info.fusion != FusionClass::kElementwise || info.min_inputs != 2 || info.max_inputs != 2)
      continue;
    const Dims left = {3, 1, 65}, right = {7, 1};
    const std::vector<double>& specials = op == OpKind::pow ? kPowBaseSpecials : kSpecials;
    const std::vector<Pair> pairs = {
        {sweep_input(DType::Float32, 0, left, specials), sweep_input(DType::Float32, 1, right)},
        {sweep_input(DType::Float64, 0, left, specials), sweep_input(DType::Float64, 1, right)},
        {sweep_input(DType::Int64, 0, left), nonzero_ints(right, 1)},
        {sweep_input(DType::Int64, 0, left), sweep_input(DType::Float32, 1, right)},
        {sweep_input(DType::Float32, 0, left, specials), sweep_input(DType::Float64, 1, right)},
        {sweep_input(DType::Bool, 0, left), sweep_input(DType::Bool, 1, right)},
        {sweep_input(DType::Int64, 0, left), sweep_input(DType::Bool, 1, right)},
    };
    for (const Pair& pair : pairs) {
      for (Form form : {Form::kTensors, Form::kTensorAndNumber, Form::kNumberAndTensor}) {
        Case c;
        ValueId a = form == Form::kNumberAndTensor ? c.number(3, DType::Int64) : c.input(pair.a);
        ValueId b = form == Form::kTensorAndNumber ? c.number(2.5) : c.input(pair.b);
        if (auto y = c.try_call(op, {a, b})) {
          SCOPED_TRACE(std::string(op_name(op)) + " " + meta_to_string(TensorMeta::of(pair.a)) +
                       " " + meta_to_string(TensorMeta::of(pair.b)) + " form " +
                       std::to_string(static_cast<int>(form)));
          c.expect_matches_eager({*y});
        }
      }
    }
  }
}

TEST(Vectorized, IntegerPowWithNonnegativeExponents) {
  Case c;
  ValueId base = c.input(small_ints({5, 400}, 0));
  ValueId exponent = c.input(Tensor::from_vector<int64_t>({0, 1, 2, 3, 7, 40}, {6, 1, 1}).value());
  c.expect_matches_eager({c.call(OpKind::pow, {base, exponent})});  // wraps on overflow
}

TEST(Vectorized, WhereLerpClamp) {
  Case c;
  ValueId flag = c.input(bools({4, 1030}, 0));
  ValueId f = c.input(sweep_input(DType::Float32, 1, {4, 1030}));
  ValueId g = c.input(irregular_tensor({1030}, 2));
  ValueId i = c.input(small_ints({4, 1030}, 3));
  c.expect_matches_eager({
      c.call(OpKind::where, {flag, f, g}),
      c.call(OpKind::where, {flag, i, c.number(0.5)}),
      c.call(OpKind::where, {c.call(OpKind::gt, {f, g}), i, flag}),
      c.call(OpKind::lerp, {f, g, c.number(0.25)}),
      c.call(OpKind::lerp, {f, g, c.call(OpKind::sigmoid, {g})}),
      c.call(OpKind::clamp, {f}, {F(-0.5)}),
      c.call(OpKind::clamp, {f}, {None(), F(1.0)}),
      c.call(OpKind::clamp, {f}, {F(-1.0), F(0.5)}),
      c.call(OpKind::clamp, {i}, {I(-2), I(3)}),
      c.call(OpKind::clamp, {i}, {F(-1.5)}),
  });
}

TEST(Vectorized, IntegerDivisionByZeroFailsAsEager) {
  // The zero divisor sits deep in the second half, where a second thread would find it.
  std::vector<int64_t> divisor(5000, 3);
  divisor[3777] = 0;
  for (OpKind op : {OpKind::floordiv, OpKind::remainder}) {
    Case c;
    ValueId x = c.input(small_ints({5000}, 0));
    ValueId y = c.input(Tensor::from_vector(divisor, {5000}).value());
    ValueId q = c.call(op, {c.call(OpKind::mul, {x, c.number(7, DType::Int64)}), y});
    c.expect_matches_eager({c.call(OpKind::add, {q, c.number(1, DType::Int64)})});
    EXPECT_TRUE(fails_with(c.want(), ErrorKind::ZeroDivisionError, "integer division by zero"));
  }
  Case by_number;
  ValueId x = by_number.input(small_ints({5000}, 0));
  by_number.expect_matches_eager(
      {by_number.call(OpKind::floordiv, {x, by_number.number(0, DType::Int64)})});
}

// Each reduction over the last dim, the last two and all dims, keepdim or not, of an elementwise
// chain on [5, 9, 1030].
TEST(Vectorized, ReductionsOfChains) {
  const Tensor x = irregular_tensor({5, 9, 1030}, 0), y = irregular_tensor({9, 1030}, 1);
  for (OpKind op : {OpKind::sum, OpKind::mean, OpKind::max, OpKind::min, OpKind::var, OpKind::std,
                    OpKind::prod, OpKind::argmax, OpKind::all, OpKind::any}) {
    const bool int_dim = op == OpKind::argmax;  // argmax takes one dim
    for (const Attr& dim : {int_dim ? I(-1) : L({-1}), int_dim ? I(1) : L({-2, -1}), None()}) {
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(std::string(op_name(op)) + " dim=" + dim.to_string() +
                     " keepdim=" + std::to_string(keepdim));
        Case c;
        ValueId px = c.input(x), py = c.input(y);
        ValueId chain = c.call(
            OpKind::add, {c.call(OpKind::mul, {c.call(OpKind::tanh, {px}), py}), c.number(0.25)});
        if (op == OpKind::all || op == OpKind::any)
          chain = c.call(OpKind::gt, {chain, c.number(op == OpKind::all ? -1.2 : 1.2)});
        if (op == OpKind::prod)  // near 1, so 46350 factors stay finite
          chain =
              c.call(OpKind::add, {c.call(OpKind::mul, {chain, c.number(1e-3)}), c.number(1.0)});
        ValueId reduced = c.call(op, {chain}, {dim}, {{"keepdim", B(keepdim)}});
        ValueId doubled = c.call(OpKind::mul, {reduced, c.number(2, DType::Int64)});
        c.expect_matches_eager({reduced, doubled}, kReassociated);
      }
    }
  }
}

TEST(Vectorized, IntegerAndBoolReductions) {
  Case c;
  ValueId i = c.input(small_ints({7, 2050}, 0));
  ValueId flag = c.input(bools({7, 2050}, 1));
  c.expect_matches_eager(
      {c.call(OpKind::sum, {i}, {L({1})}), c.call(OpKind::sum, {flag}),
       c.call(OpKind::max, {i}, {L({0})}), c.call(OpKind::min, {i}),
       c.call(OpKind::prod, {c.call(OpKind::slice, {i}, {I(1), I(0), I(30)})}, {L({1})}),
       c.call(OpKind::argmax, {i}, {I(1)}), c.call(OpKind::argmin, {i}),
       c.call(OpKind::any, {flag}, {L({1})}), c.call(OpKind::all, {i}, {L({0})})});
}

TEST(Vectorized, SoftmaxLogSoftmaxLayerNorm) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    Case c;
    ValueId x = c.input(irregular_tensor({300, 257}, 0, dtype));
    ValueId y = c.input(irregular_tensor({300, 257}, 1, dtype));
    ValueId w = c.input(irregular_tensor({257}, 2, dtype));
    ValueId b = c.input(irregular_tensor({257}, 3, dtype));
    ValueId pre = c.call(OpKind::sub, {c.call(OpKind::mul, {x, c.number(1.5)}), c.number(0.25)});
    auto post = [&](ValueId v) { return c.call(OpKind::relu, {c.call(OpKind::add, {v, y})}); };
    c.expect_matches_eager(
        {post(c.call(OpKind::softmax, {pre}, {I(-1)})),
         post(c.call(OpKind::softmax, {pre}, {I(0)})),
         post(c.call(OpKind::log_softmax, {pre}, {I(1)})),
         post(c.call(OpKind::layer_norm, {pre}, {L({257})})),
         post(c.call(OpKind::layer_norm, {pre, w}, {L({257})})),
         post(c.call(OpKind::layer_norm, {pre, w, b}, {L({257})}, {{"eps", F(1e-3)}})),
         post(c.call(OpKind::layer_norm, {pre}, {L({300, 257})}))},
        kReassociated);
  }
}

TEST(Vectorized, MatmulAndLinearWithEpilogues) {
  Case c;
  ValueId a = c.input(irregular_tensor({33, 65}, 0));
  ValueId b = c.input(irregular_tensor({65, 17}, 1));
  ValueId batch_a = c.input(irregular_tensor({4, 33, 65}, 2));
  ValueId batch_b = c.input(irregular_tensor({4, 65, 17}, 3));
  ValueId weight = c.input(irregular_tensor({17, 65}, 4));
  ValueId bias = c.input(irregular_tensor({17}, 5));
  auto relu_bias = [&](ValueId v) {
    return c.call(OpKind::relu, {c.call(OpKind::add, {v, bias})});
  };
  c.expect_matches_eager({relu_bias(c.call(OpKind::matmul, {a, b})),
                          relu_bias(c.call(OpKind::matmul, {batch_a, batch_b})),
                          relu_bias(c.call(OpKind::matmul, {batch_a, b})),  // broadcast batch
                          c.call(OpKind::gelu, {c.call(OpKind::linear, {a, weight, bias})}),
                          c.call(OpKind::gelu, {c.call(OpKind::linear, {batch_a, weight, bias})},
                                 {Attr::string("tanh")}),
                          relu_bias(c.call(OpKind::linear, {batch_a, weight}))},
                         kReassociated);
}

TEST(Vectorized, MatmulOfTransposedInputFloat64) {
  Case c;
  ValueId a = c.input(transposed(irregular_tensor({65, 33}, 0, DType::Float64)));
  ValueId b = c.input(irregular_tensor({65, 17}, 1, DType::Float64));
  ValueId bias = c.input(irregular_tensor({17}, 2, DType::Float64));
  c.expect_matches_eager(
      {c.call(OpKind::gelu, {c.call(OpKind::add, {c.call(OpKind::matmul, {a, b}), bias})})},
      kReassociated);
}

TEST(Vectorized, ValueUsedInAChainAndAsAnOutput) {
  Case c;
  ValueId x = c.input(irregular_tensor({4, 1500}, 0));
  ValueId y = c.input(irregular_tensor({1500}, 1));
  ValueId t = c.call(OpKind::mul, {x, y});
  ValueId u = c.call(OpKind::add, {c.call(OpKind::relu, {t}), c.number(1.0)});
  c.expect_matches_eager({u, t, c.call(OpKind::sum, {t}, {L({1})})}, kReassociated);
}

TEST(Vectorized, SameValueReturnedTwice) {
  Case c;
  ValueId x = c.input(irregular_tensor({2100}, 0));
  ValueId t = c.call(OpKind::exp, {x});
  c.expect_matches_eager({t, c.call(OpKind::neg, {x}), t});
}

TEST(Vectorized, OutputsThatAreInputsOrConstants) {
  Case only_input;
  ValueId x = only_input.input(irregular_tensor({3, 5}, 0));
  only_input.expect_matches_eager({x, x});

  Case mixed;
  ValueId a = mixed.input(transposed(irregular_tensor({40, 30}, 1)));
  ValueId k = mixed.constant(irregular_tensor({30, 40}, 2));
  mixed.expect_matches_eager({a, mixed.call(OpKind::add, {a, k}), k, a});
}

TEST(Vectorized, RandomNodesDrawEagersStream) {
  // Two rand and one randn node, in a chain and as outputs: each run starts from the same seed, so
  // the drawn numbers must be eager's bit for bit.
  Case c;
  ValueId x = c.input(irregular_tensor({5000}, 0));
  ValueId r = c.call(OpKind::rand, {}, {L({5000})});
  ValueId n = c.call(OpKind::randn, {}, {L({50, 100})});
  ValueId r64 = c.call(OpKind::rand, {}, {L({3, 1031})}, {{"dtype", DT(DType::Float64)}});
  ValueId noisy = c.call(
      OpKind::add, {c.call(OpKind::mul, {x, r}),
                    c.call(OpKind::mul, {c.call(OpKind::view, {n}, {L({5000})}), c.number(0.1)})});
  c.expect_matches_eager({r, n, r64, noisy});
  ASSERT_TRUE(c.got().ok() && c.want().ok());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(element_bytes(c.got()->at(i)), element_bytes(c.want()->at(i))) << "output " << i;
}

// ---------------------------------------------------------------- random graphs

// How two correct implementations of an op may differ, which decides what the generator feeds it: a
// differential test must not compare results that a last-bit difference can flip.
enum class Rounding {
  kExact,           // moves or picks its operands' bits (neg, maximum, where, views)
  kRounded,         // rounds, well-conditioned on small operands (add, tanh, sum)
  kIllConditioned,  // rounds and blows up small input differences somewhere (log, div, pow)
  kDiscontinuous,   // exact result that a last-bit input change can flip (floor, lt)
};

struct GenOp {
  OpKind op;
  int arity;
  Rounding rounding;
};

constexpr GenOp kGenOps[] = {
    {OpKind::neg, 1, Rounding::kExact},
    {OpKind::abs, 1, Rounding::kExact},
    {OpKind::relu, 1, Rounding::kExact},
    {OpKind::exp, 1, Rounding::kRounded},
    {OpKind::log, 1, Rounding::kIllConditioned},
    {OpKind::sqrt, 1, Rounding::kIllConditioned},
    {OpKind::rsqrt, 1, Rounding::kIllConditioned},
    {OpKind::sin, 1, Rounding::kRounded},
    {OpKind::cos, 1, Rounding::kRounded},
    {OpKind::tanh, 1, Rounding::kRounded},
    {OpKind::sigmoid, 1, Rounding::kRounded},
    {OpKind::gelu, 1, Rounding::kRounded},
    {OpKind::silu, 1, Rounding::kRounded},
    {OpKind::floor, 1, Rounding::kDiscontinuous},
    {OpKind::ceil, 1, Rounding::kDiscontinuous},
    {OpKind::round, 1, Rounding::kDiscontinuous},
    {OpKind::sign, 1, Rounding::kDiscontinuous},
    {OpKind::logical_not, 1, Rounding::kDiscontinuous},
    {OpKind::reciprocal, 1, Rounding::kIllConditioned},
    {OpKind::to, 1, Rounding::kExact},  // kDiscontinuous from a float to int64 or bool
    {OpKind::clamp, 1, Rounding::kExact},
    {OpKind::add, 2, Rounding::kRounded},
    {OpKind::sub, 2, Rounding::kRounded},
    {OpKind::mul, 2, Rounding::kRounded},
    {OpKind::div, 2, Rounding::kIllConditioned},
    {OpKind::floordiv, 2, Rounding::kIllConditioned},
    {OpKind::remainder, 2, Rounding::kIllConditioned},
    {OpKind::pow, 2, Rounding::kIllConditioned},
    {OpKind::maximum, 2, Rounding::kExact},
    {OpKind::minimum, 2, Rounding::kExact},
    {OpKind::eq, 2, Rounding::kDiscontinuous},
    {OpKind::ne, 2, Rounding::kDiscontinuous},
    {OpKind::lt, 2, Rounding::kDiscontinuous},
    {OpKind::le, 2, Rounding::kDiscontinuous},
    {OpKind::gt, 2, Rounding::kDiscontinuous},
    {OpKind::ge, 2, Rounding::kDiscontinuous},
    {OpKind::logical_and, 2, Rounding::kDiscontinuous},
    {OpKind::logical_or, 2, Rounding::kDiscontinuous},
    {OpKind::where, 3, Rounding::kExact},
    {OpKind::lerp, 3, Rounding::kRounded},
    {OpKind::sum, 1, Rounding::kRounded},
    {OpKind::mean, 1, Rounding::kRounded},
    {OpKind::var, 1, Rounding::kRounded},
    {OpKind::max, 1, Rounding::kExact},
    {OpKind::min, 1, Rounding::kExact},
    {OpKind::transpose, 1, Rounding::kExact},
    {OpKind::unsqueeze, 1, Rounding::kExact},
    {OpKind::expand, 1, Rounding::kExact},
};

// An inexact float feeds a rounding op only while its elements stay this small: its absolute error
// (a few ulps of its magnitude) then stays within the tolerance after any cancellation.
constexpr double kTame = 4;
constexpr int64_t kMaxNumel = 40000;

// What the generator knows of a value, from eager's result on the example inputs.
struct GenValue {
  ValueId id;
  Tensor value;
  bool exact = true;              // every correct backend gives eager's bits
  bool reassociated = false;      // a float sum, mean or var upstream
  bool float32_upstream = false;  // an inexact float32 value here or upstream
  double magnitude = 0;           // largest finite |element|
  bool has_zero = false, has_infinity = false, has_positive_infinity = false;
  // A placeholder or constant: its zeros keep the sign they were given.
  bool given = false;
  double scale = 0;  // largest magnitude of an inexact float value here or upstream
};

// A random graph and its inputs; tolerances one per output.
struct RandomCase {
  Graph graph;
  std::vector<Tensor> inputs;
  std::vector<Tolerance> tolerances;
};

class GraphGenerator {
 public:
  explicit GraphGenerator(uint32_t seed) : rng_(seed) {}

  RandomCase generate() {
    const Dims shape = random_shape();
    const DType float_dtype = chance(0.85) ? DType::Float32 : DType::Float64;
    const int num_inputs = uniform(1, 3);
    for (int k = 0; k < num_inputs; ++k) add_input(input_shape(shape), random_dtype(float_dtype));
    const int num_ops = uniform(1, 20);
    int made = 0;
    for (int attempt = 0; made < num_ops && attempt < 10 * num_ops && !failed_; ++attempt)
      made += try_op();
    return finish();
  }

 private:
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[uniform(0, static_cast<int>(items.size()) - 1)];
  }

  // Ranks 0-4 over sizes that straddle SIMD widths and a 1024-element block; 0 is rarer, so most
  // graphs compute something, and half the graphs have 1000 elements or more, enough for several
  // blocks and two threads.
  Dims random_shape() {
    static const int64_t kSizes[] = {0, 1, 2, 3, 7, 8, 9, 17, 33, 1025};
    std::discrete_distribution<int> size_index({1, 3, 2, 2, 2, 2, 2, 3, 3, 3});
    std::discrete_distribution<int> rank({1, 2, 3, 3, 3});
    Dims shape = Dims::filled(rank(rng_), 0);
    const int64_t least = !shape.empty() && chance(0.5) ? 1000 : 0;
    while (true) {
      for (int64_t& size : shape) size = kSizes[size_index(rng_)];
      if (product(shape) >= least && product(shape) <= kMaxNumel) return shape;
    }
  }

  // The graph's shape or a trailing part of it, with some dims 1, so inputs broadcast together.
  Dims input_shape(const Dims& shape) {
    const int rank = chance(0.7) ? shape.size() : uniform(0, shape.size());
    Dims sizes(std::span<const int64_t>(shape.end() - rank, rank));
    for (int64_t& size : sizes)
      if (chance(0.25)) size = 1;
    return sizes;
  }

  DType random_dtype(DType float_dtype) {
    const double p = std::uniform_real_distribution<double>(0, 1)(rng_);
    return p < 0.65 ? float_dtype : p < 0.85 ? DType::Int64 : DType::Bool;
  }

  // Floats in [-2, 2) with a few NaN, +-Inf and (signed) zeros; int64 in [-5, 5]; bools.
  double random_element(DType dtype) {
    if (dtype == DType::Bool) return chance(0.5);
    if (dtype == DType::Int64) return uniform(-5, 5);
    const double p = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (p < 0.005) return kNaN;
    if (p < 0.01) return chance(0.5) ? kInf : -kInf;
    if (p < 0.05) return chance(0.5) ? 0.0 : -0.0;
    return std::uniform_real_distribution<double>(-2, 2)(rng_);
  }

  Tensor random_contiguous(const Dims& sizes, DType dtype) {
    std::vector<double> data(product(sizes));
    for (double& v : data) v = random_element(dtype);
    return ok(OpKind::to, {Tensor::from_vector(data, sizes).value()}, {DT(dtype)});
  }

  // A random input, often not contiguous: transposed, every other element of a wider tensor, or
  // broadcast along a dim (stride 0).
  Tensor random_input(const Dims& sizes, DType dtype) {
    const int rank = sizes.size(), layout = rank == 0 ? 0 : uniform(0, 5);
    if (layout == 1 && rank >= 2) {
      Dims swapped = sizes;
      std::swap(swapped[rank - 2], swapped[rank - 1]);
      return transposed(random_contiguous(swapped, dtype));
    }
    if (layout == 2 && sizes[rank - 1] > 0) {
      Dims wide = sizes;
      wide[rank - 1] = 2 * sizes[rank - 1] + 1;
      Tensor base = random_contiguous(wide, dtype);
      Dims strides = base.strides();
      strides[rank - 1] = 2;
      return base.as_strided(sizes, strides, 1);
    }
    if (layout == 3) {
      const int dim = uniform(0, rank - 1);
      Dims narrow = sizes;
      narrow[dim] = 1;
      Tensor base = random_contiguous(narrow, dtype);
      Dims strides = base.strides();
      strides[dim] = 0;
      return base.as_strided(sizes, strides, 0);
    }
    return random_contiguous(sizes, dtype);
  }

  void add_input(const Dims& sizes, DType dtype) {
    Tensor t = random_input(sizes, dtype);
    ValueId id = builder_.placeholder(fmt::format("x{}", inputs_.size()), {dtype, sizes, false});
    inputs_.push_back(t);
    values_.push_back(describe(id, t, /*exact=*/true, GenValue{}));
    values_.back().given = true;
  }

  // `upstream` carries the operands' reassociated, float32_upstream and scale.
  GenValue describe(ValueId id, Tensor t, bool exact, const GenValue& upstream) {
    const DType dtype = t.dtype();
    GenValue v{id, std::move(t), exact || !is_floating(dtype), upstream.reassociated,
               upstream.float32_upstream};
    for (double element : values(v.value)) {
      if (std::isfinite(element)) v.magnitude = std::max(v.magnitude, std::abs(element));
      v.has_zero = v.has_zero || element == 0;
      v.has_infinity = v.has_infinity || std::isinf(element);
      v.has_positive_infinity = v.has_positive_infinity || element == kInf;
    }
    v.scale = upstream.scale;
    if (!v.exact) {
      v.float32_upstream = v.float32_upstream || dtype == DType::Float32;
      v.scale = std::max(v.scale, v.magnitude);
    }
    return v;
  }

  // An operand: mostly the newest value (chains), else any value, sometimes a constant.
  GenValue operand(bool allow_constant) {
    if (allow_constant && chance(0.2)) return constant();
    return chance(0.5) ? values_.back() : pick(values_);
  }

  // A wrapped Python number, or now and then a 0-d tensor constant (which promotes more strongly
  // than a number).
  GenValue constant() {
    static const std::vector<std::pair<double, DType>> kNumbers = {
        {0.5, DType::Float32}, {-1.5, DType::Float32}, {2.0, DType::Float32},
        {0.0, DType::Float32}, {3, DType::Int64},      {-2, DType::Int64},
        {1, DType::Bool},      {0.25, DType::Float64}};
    const auto& [number, dtype] = pick(kNumbers);
    Tensor t = Tensor::scalar(number, dtype, /*wrapped=*/chance(0.8));
    GenValue v = describe(builder_.constant(t), t, /*exact=*/true, GenValue{});
    v.given = true;
    return v;
  }

  // Whether float `v` may be operand `index` of `op`, of `rounding` (see Rounding and kTame). Also
  // left out: what eager computes differently in its SIMD body and its scalar tail, so that the
  // result depends on where the element sits: sqrt(+inf) (NaN in the body), pow of a zero or
  // infinite base (the body loses the sign for odd exponents) and the sign of a zero that an op
  // made (the body's neg, maximum and minimum may drop it), which 1/x, rsqrt, div, // and % turn
  // into an infinity of that sign.
  static bool may_feed(OpKind op, int index, const GenValue& v, Rounding rounding) {
    const bool exact_enough = rounding == Rounding::kExact     ? true
                              : rounding == Rounding::kRounded ? v.exact || v.magnitude <= kTame
                                                               : v.exact;
    const bool divides_by_it =
        op == OpKind::reciprocal || op == OpKind::rsqrt ||
        (index == 1 && (op == OpKind::div || op == OpKind::floordiv || op == OpKind::remainder));
    return exact_enough && !(divides_by_it && v.has_zero && !v.given) &&
           !(op == OpKind::sqrt && v.has_positive_infinity) &&
           !(op == OpKind::pow && index == 0 && (v.has_zero || v.has_infinity));
  }

  // Trailing dims (as negative indices) or all dims (None).
  Attr reduction_dims(int rank) {
    const int count = uniform(0, rank);
    if (count == 0) return None();
    std::vector<int64_t> dims;
    for (int d = -count; d < 0; ++d) dims.push_back(d);
    return L(dims);
  }

  // Sizes for expand: some size-1 dims widened, maybe a new leading dim.
  std::optional<Dims> expanded_sizes(const Dims& sizes) {
    static const std::vector<int64_t> kWider = {2, 3, 8, 17, 33};
    Dims target = sizes;
    for (int64_t& size : target)
      if (size == 1 && chance(0.5)) size = pick(kWider);
    if (target.size() < 4 && chance(0.3)) target.insert(0, pick(kWider));
    if (product(target) > kMaxNumel || target == sizes) return std::nullopt;
    return target;
  }

  // Tries one random op; returns 1 when it became a node.
  int try_op() {
    const GenOp& gen = kGenOps[uniform(0, static_cast<int>(std::size(kGenOps)) - 1)];
    Rounding rounding = gen.rounding;
    std::vector<GenValue> in;
    std::vector<Attr> attrs;
    std::vector<NamedAttr> named;
    if (gen.op == OpKind::where) {
      std::vector<GenValue> conditions;
      for (const GenValue& v : values_)
        if (v.value.dtype() == DType::Bool) conditions.push_back(v);
      if (conditions.empty()) return 0;
      in = {pick(conditions), operand(true), operand(true)};
    } else {
      for (int k = 0; k < gen.arity; ++k) in.push_back(operand(/*allow_constant=*/k > 0));
    }
    const Tensor& first = in[0].value;
    switch (gen.op) {
      case OpKind::to: {
        const DType target =
            pick(std::vector<DType>{DType::Float32, DType::Float64, DType::Int64, DType::Bool});
        if (is_floating(first.dtype()) && !is_floating(target)) rounding = Rounding::kDiscontinuous;
        attrs = {DT(target)};
        break;
      }
      case OpKind::clamp:
        attrs = pick(std::vector<std::vector<Attr>>{
            {F(-0.5)}, {None(), F(1.0)}, {F(-1), F(0.5)}, {I(-1), I(2)}});
        break;
      case OpKind::sum:
      case OpKind::mean:
      case OpKind::var:
      case OpKind::max:
      case OpKind::min:
        attrs = {reduction_dims(first.dim())};
        named = {{"keepdim", B(chance(0.5))}};
        break;
      case OpKind::transpose:
        if (first.dim() == 0) return 0;
        attrs = {I(uniform(0, first.dim() - 1)), I(uniform(0, first.dim() - 1))};
        break;
      case OpKind::unsqueeze:
        if (first.dim() == 4) return 0;
        attrs = {I(uniform(0, first.dim()))};
        break;
      case OpKind::expand:
        if (auto sizes = expanded_sizes(first.sizes()))
          attrs = {L({sizes->begin(), sizes->end()})};
        else
          return 0;
        break;
      default:
        break;
    }
    for (std::size_t k = 0; k < in.size(); ++k)
      if (is_floating(in[k].value.dtype()) && !may_feed(gen.op, k, in[k], rounding)) return 0;

    std::vector<Tensor> tensors;
    std::vector<ValueId> ids;
    bool exact = rounding == Rounding::kExact || rounding == Rounding::kDiscontinuous;
    GenValue upstream;
    for (const GenValue& v : in) {
      tensors.push_back(v.value);
      ids.push_back(v.id);
      exact = exact && v.exact;
      upstream.reassociated = upstream.reassociated || v.reassociated;
      upstream.float32_upstream = upstream.float32_upstream || v.float32_upstream;
      upstream.scale = std::max(upstream.scale, v.scale);
    }
    Expected<Tensor> result = eager::run1(gen.op, tensors, attrs, named);
    if (result.ok() && result->numel() > kMaxNumel) return 0;
    Expected<ValueId> id = builder_.call1(gen.op, ids, attrs, named);
    if (!id.ok()) return 0;  // inference rejects the call (eager::run1 failed the same way)
    if (!result.ok()) {
      // A run-time error (integer division by zero, a negative integer power): the graph ends here,
      // returning the failing value.
      outputs_ = {*id};
      failed_ = true;
      return 1;
    }
    const bool sums = gen.op == OpKind::sum || gen.op == OpKind::mean || gen.op == OpKind::var;
    upstream.reassociated = upstream.reassociated || (sums && is_floating(result->dtype()));
    values_.push_back(describe(*id, std::move(result).value(), exact, upstream));
    return 1;
  }

  // The newest value is returned; other values nobody uses, and now and then an input, too.
  RandomCase finish() {
    if (!failed_) {
      std::vector<bool> used(builder_.graph().num_values(), false);
      for (const Node& node : builder_.graph().nodes())
        for (ValueId in : node.inputs) used[in.index] = true;
      outputs_ = {values_.back().id};
      for (std::size_t k = inputs_.size(); k + 1 < values_.size() && outputs_.size() < 4; ++k)
        if (!used[values_[k].id.index] && chance(0.5)) outputs_.push_back(values_[k].id);
      if (chance(0.1))
        outputs_.push_back(values_[uniform(0, static_cast<int>(inputs_.size()) - 1)].id);
      if (chance(0.1)) outputs_.push_back(outputs_.front());
    }
    RandomCase result;
    for (ValueId out : outputs_) {
      auto it = std::find_if(values_.begin(), values_.end(),
                             [&](const GenValue& v) { return v.id == out; });
      result.tolerances.push_back(
          it == values_.end() ? Tolerance{}
                              : Tolerance{it->reassociated, it->float32_upstream, it->scale});
    }
    builder_.set_outputs(outputs_);
    result.graph = builder_.finish();
    result.inputs = inputs_;
    return result;
  }

  std::mt19937 rng_;
  GraphBuilder builder_;
  std::vector<Tensor> inputs_;
  std::vector<GenValue> values_;
  std::vector<ValueId> outputs_;
  bool failed_ = false;
};

// The inputs' dtypes, sizes and strides, to reproduce a failure by hand.
std::string describe_inputs(const std::vector<Tensor>& inputs) {
  std::ostringstream out;
  for (std::size_t k = 0; k < inputs.size(); ++k)
    out << "x" << k << ": " << meta_to_string(TensorMeta::of(inputs[k])) << " strides "
        << to_string(inputs[k].strides()) << " offset " << inputs[k].offset() << "\n";
  return out.str();
}

TEST(Vectorized, RandomGraphsAgreeWithEagerOnOneAndTwoThreads) {
  constexpr int kGraphs = 300;
  int failures = 0, calls = 0, failing_graphs = 0;
  for (uint32_t seed = 1; seed <= kGraphs; ++seed) {
    RandomCase c = GraphGenerator(seed).generate();
    Outcome want = run_graph("eager", c.graph, c.inputs);
    calls += c.graph.num_calls();
    failing_graphs += !want.ok();
    Outcome one = run_graph(kUnderTest, c.graph, c.inputs, kOneThread);
    Outcome two = run_graph(kUnderTest, c.graph, c.inputs, kTwoThreads);
    std::string report;
    if (auto result = same_outcome(one, want, c.tolerances); !result)
      report += fmt::format("threads=1: {}\n", result.message());
    if (auto result = same_outcome(two, want, c.tolerances); !result)
      report += fmt::format("threads=2: {}\n", result.message());
    if (auto result = identical(one, two); !result)
      report += fmt::format("threads=1 vs threads=2: {}\n", result.message());
    if (!report.empty() && ++failures <= 5)  // the first few are enough to start from
      ADD_FAILURE() << "seed " << seed << "\n"
                    << report << describe_inputs(c.inputs) << print_graph(c.graph);
  }
  EXPECT_EQ(failures, 0) << "graphs disagreeing (the first 5 are reported above)";
  // The generator still makes real graphs (its filters could silently reject most ops), and a few
  // end in a run-time error.
  EXPECT_GT(calls, 8 * kGraphs);
  EXPECT_GT(failing_graphs, 0);
}

}  // namespace
