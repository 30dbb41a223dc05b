// A tour of gyro's tensor runtime: build tensors, run ops eagerly, see a clear error.
#include <cstdio>

#include "backends/eager/eager.h"
#include "ir/nested.h"

using gyro::Attr;
using gyro::OpKind;
using gyro::Tensor;

namespace {

// Runs an op that the tour expects to succeed; exits with the error otherwise.
Tensor run(OpKind op, std::vector<Tensor> inputs, std::vector<Attr> attrs = {}) {
  auto result = gyro::eager::run1(op, inputs, attrs);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

void show(const char* label, const Tensor& t) {
  std::printf("%-28s %s\n", label, t.to_string().c_str());
}

}  // namespace

int main() {
  gyro::eager::manual_seed(0);

  // A two-layer MLP forward pass on a batch of 4: relu(x @ W1.T + b1) @ W2.T + b2, then softmax.
  Tensor x = run(OpKind::randn, {}, {Attr::list({4, 8})});
  Tensor w1 = run(OpKind::randn, {}, {Attr::list({16, 8})});
  Tensor b1 = run(OpKind::zeros, {}, {Attr::list({16})});
  Tensor w2 = run(OpKind::randn, {}, {Attr::list({3, 16})});
  Tensor b2 = run(OpKind::full, {}, {Attr::list({3}), Attr::real(0.1)});
  Tensor hidden = run(OpKind::relu, {run(OpKind::linear, {x, w1, b1})});
  Tensor logits = run(OpKind::linear, {hidden, w2, b2});
  Tensor probs = run(OpKind::softmax, {logits}, {Attr::integer(-1)});
  show("x", x);
  show("hidden = relu(linear(x))", hidden);
  show("probs = softmax(logits)", probs);
  show("probs.sum(-1)", run(OpKind::sum, {probs}, {Attr::list({-1})}));

  // Broadcasting and type promotion follow PyTorch: int64 [3,1] + float [4] -> float [3,4].
  Tensor column = gyro::tensor_from_nested({{1}, {2}, {3}}).value();
  Tensor row = gyro::tensor_from_nested({0.5, 1.5, 2.5, 3.5}).value();
  show("[[1],[2],[3]] + [0.5..3.5]", run(OpKind::add, {column, row}));

  // Views share storage: a transpose is free, and reshape copies only when it must.
  Tensor grid =
      run(OpKind::reshape, {run(OpKind::arange, {}, {Attr::integer(6)})}, {Attr::list({2, 3})});
  show("arange(6).reshape(2, 3).T",
       run(OpKind::transpose, {grid}, {Attr::integer(0), Attr::integer(1)}));

  // Bad input is an error that says what and where, never a crash.
  auto bad = gyro::eager::run1(OpKind::matmul, std::vector<Tensor>{x, x});
  std::printf("%-28s %s\n", "matmul(x, x)", bad.error().to_string().c_str());
  return 0;
}
