// The prelude installer: what a host sees after install_prelude (public names as builtins,
// callable from C++; private helpers hidden; each interpreter gets its own classes).
#include "lang/prelude.h"

#include <gtest/gtest.h>

#include "interp/python_ops.h"
#include "lang/compiler.h"

using namespace gyro;

namespace {

std::optional<Value> builtin(const Interpreter& vm, std::string_view name) {
  auto found = vm.builtins().as<DictObject>().table.get(make_str(std::string(name)));
  if (!found.ok() || !found->has_value()) return std::nullopt;
  return **found;
}

}  // namespace

TEST(Prelude, SourceIsEmbeddedAndCompiles) {
  EXPECT_NE(lang::prelude_source().find("class Module"), std::string_view::npos);
  auto code = lang::compile_source(lang::prelude_source(), "prelude.gy");
  EXPECT_TRUE(code.ok()) << code.error().to_string();
}

TEST(Prelude, PublicNamesBecomeBuiltinsAndHelpersStayPrivate) {
  Interpreter vm;
  ASSERT_TRUE(lang::install_prelude(vm).ok());
  for (std::string_view name : {"Module", "Linear", "ReLU", "GELU", "Sigmoid", "Tanh", "Dropout",
                                "LayerNorm", "Embedding", "Sequential"}) {
    auto value = builtin(vm, name);
    ASSERT_TRUE(value.has_value()) << name;
    EXPECT_TRUE(value->is(ObjectKind::Class)) << name;
  }
  EXPECT_FALSE(builtin(vm, "_is_module").has_value());
  EXPECT_FALSE(builtin(vm, "__name__").has_value());
}

TEST(Prelude, HostCallsAModuleThroughTheInterpreter) {
  Interpreter vm;
  ASSERT_TRUE(lang::install_prelude(vm).ok());
  auto layer =
      vm.call(*builtin(vm, "Linear"), std::vector<Value>{Value::integer(4), Value::integer(3)});
  ASSERT_TRUE(layer.has_value()) << vm.format_exception(vm.exception());
  auto input = Tensor::from_vector(std::vector<float>(8, 1.0f), Dims{2, 4});
  ASSERT_TRUE(input.ok());
  auto output = vm.call(*layer, std::vector<Value>{make_tensor(*input)});
  ASSERT_TRUE(output.has_value()) << vm.format_exception(vm.exception());
  ASSERT_TRUE(output->is(ObjectKind::TensorBox));
  EXPECT_EQ(repr(make_tuple({Value::integer(output->as<TensorBoxObject>().tensor.size(0)),
                             Value::integer(output->as<TensorBoxObject>().tensor.size(1))})),
            "(2, 3)");
}

TEST(Prelude, EachInterpreterGetsItsOwnClasses) {
  Interpreter first, second;
  ASSERT_TRUE(lang::install_prelude(first).ok());
  ASSERT_TRUE(lang::install_prelude(second).ok());
  EXPECT_NE(builtin(first, "Module")->as_object(), builtin(second, "Module")->as_object());
}
