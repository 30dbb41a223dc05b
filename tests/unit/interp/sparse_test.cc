// Sparse tensors: to_sparse keeps exactly the nonzeros (NaN in, -0.0 out), to_dense restores the
// tensor, and the repr matches what PyTorch 1.13 prints for the same tensors (captured verbatim).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "interp/python_ops.h"
#include "interp/sparse.h"
#include "ir/nested.h"

using namespace gyro;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor literal(const NestedList& data) {
  return tensor_from_nested(data, std::nullopt).value();
}

}  // namespace

TEST(Sparse, KeepsNaNAndInfinityButNotNegativeZero) {
  Value sparse = to_sparse(literal({{0.0, -0.0, kNaN}, {kInf, 0.0, -2.5}})).value();
  const auto& object = sparse.as<SparseTensorObject>();
  EXPECT_EQ(object.nnz(), 3);
  EXPECT_EQ(object.indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 2, 0, 2}));
  EXPECT_EQ(repr(sparse),
            "tensor(indices=tensor([[0, 1, 1],\n"
            "                       [2, 0, 2]]),\n"
            "       values=tensor([    nan,     inf, -2.5000]),\n"
            "       size=(2, 3), nnz=3, layout=torch.sparse_coo)");
}

TEST(Sparse, ToDenseRestoresEveryElement) {
  Tensor dense = literal({{0.0, -0.0, kNaN}, {kInf, 0.0, -2.5}});
  Value sparse = to_sparse(dense).value();
  Tensor back = sparse_to_dense(sparse.as<SparseTensorObject>()).value();
  EXPECT_EQ(back.sizes(), dense.sizes());
  std::vector<double> values = back.to_vector<double>();
  EXPECT_EQ(values[0], 0.0);
  EXPECT_FALSE(std::signbit(values[1]));  // -0.0 was not stored: it comes back as 0.0
  EXPECT_TRUE(std::isnan(values[2]));
  EXPECT_EQ(values[3], kInf);
  EXPECT_EQ(values[5], -2.5);
}

TEST(Sparse, ThreeDimensionalIndicesAreRowMajor) {
  Tensor dense = literal({{{0.0, 1.0}, {2.0, 3.0}}, {{4.0, 5.0}, {6.0, 7.0}}});
  EXPECT_EQ(repr(to_sparse(dense).value()),
            "tensor(indices=tensor([[0, 0, 0, 1, 1, 1, 1],\n"
            "                       [0, 1, 1, 0, 0, 1, 1],\n"
            "                       [1, 0, 1, 0, 1, 0, 1]]),\n"
            "       values=tensor([1., 2., 3., 4., 5., 6., 7.]),\n"
            "       size=(2, 2, 2), nnz=7, layout=torch.sparse_coo)");
}
