// Guard checks on frame values: each kind passes on what was traced and fails, in Dynamo's
// words, on what changed; sources reach through attributes, items and lengths.
#include "interp/guard_check.h"

#include <gtest/gtest.h>

#include "interp/interpreter.h"
#include "interp/objects.h"

using namespace gyro;
using guards::Guard;
using guards::GuardKind;
using guards::SourceTable;

namespace {

Value tensor_value(Dims sizes, DType dtype = DType::Float32) {
  auto tensor = Tensor::empty(sizes, dtype);
  EXPECT_TRUE(tensor.ok());
  return make_tensor(*tensor);
}

struct Fixture {
  Interpreter vm;
  SourceTable sources;
  std::vector<Guard> guards;
  std::string check(std::span<const Value> locals) {
    auto keys = source_keys(sources);
    guards::GuardProgram program;
    for (const Guard& guard : guards) program.push_back(guard);
    program.finish();
    GuardSubject subject{locals, {}, nullptr, &vm.builtins().as<DictObject>().table};
    std::string failure = check_guards(sources, keys, program, subject);
    // The hit path's check agrees with the one that explains.
    SourceLoader loader(sources, keys, subject);
    EXPECT_EQ(guards_pass(program, loader), failure.empty());
    return failure;
  }
};

}  // namespace

TEST(GuardCheck, TensorMatchPassesThenExplainsEachChange) {
  Fixture f;
  Guard guard(GuardKind::TENSOR_MATCH, f.sources.local(0, "x"));
  guard.tensor = {DType::Float32, Dims{3, 4}, Dims{4, 1}};
  f.guards.push_back(guard);
  std::vector<Value> locals{tensor_value({3, 4})};
  EXPECT_EQ(f.check(locals), "");
  locals[0] = tensor_value({4, 4});
  EXPECT_EQ(f.check(locals), "tensor 'x' size mismatch at index 0. expected 3, actual 4");
  locals[0] = tensor_value({3, 4}, DType::Float64);
  EXPECT_EQ(f.check(locals), "tensor 'x' dtype mismatch. expected float32, actual float64");
  locals[0] = Value::integer(3);
  EXPECT_EQ(f.check(locals), "expected type of 'x' to be Tensor, but found int");
}

TEST(GuardCheck, ConstantsCompareByTypeAndValue) {
  Fixture f;
  Guard guard(GuardKind::CONSTANT_MATCH, f.sources.local(0, "n"));
  guard.constant = Constant::integer(2);
  f.guards.push_back(guard);
  std::vector<Value> locals{Value::integer(2)};
  EXPECT_EQ(f.check(locals), "");
  locals[0] = Value::integer(3);
  EXPECT_EQ(f.check(locals), "n == 2");
  locals[0] = Value::boolean(true);  // True == 1 in Python, but prints differently
  EXPECT_EQ(f.check(locals), "n == 2");
  locals[0] = Value::real(2.0);
  EXPECT_EQ(f.check(locals), "n == 2");
}

TEST(GuardCheck, LengthsAndItemsOfLists) {
  Fixture f;
  auto xs = f.sources.local(0, "xs");
  Guard length(GuardKind::LENGTH, f.sources.length(xs));
  length.length = 2;
  f.guards.push_back(length);
  Guard second(GuardKind::TENSOR_MATCH, f.sources.item(xs, 1));
  second.tensor = {DType::Float32, Dims{2}, Dims{1}};
  f.guards.push_back(second);
  std::vector<Value> locals{make_list({tensor_value({2}), tensor_value({2})})};
  EXPECT_EQ(f.check(locals), "");
  locals[0] = make_list({tensor_value({2})});
  EXPECT_EQ(f.check(locals), "len(xs) == 2");
  locals[0] = make_list({tensor_value({2}), tensor_value({5})});
  EXPECT_EQ(f.check(locals), "tensor 'xs[1]' size mismatch at index 0. expected 2, actual 5");
}

TEST(GuardCheck, TypesAndIdentitiesThroughAttributes) {
  Fixture f;
  Value cls = make_class("Net", Value());
  Value net = make_instance(cls);
  Value weight = tensor_value({2, 2});
  (void)net.as<InstanceObject>().attributes.as<DictObject>().table.set(make_str("weight"), weight);
  auto self = f.sources.local(0, "self");
  Guard type(GuardKind::TYPE_MATCH, self);
  type.identity = type_identity(net);
  type.type_name = "Net";
  f.guards.push_back(type);
  Guard w(GuardKind::TENSOR_MATCH, f.sources.attribute(self, "weight"));
  w.tensor = {DType::Float32, Dims{2, 2}, Dims{2, 1}};
  f.guards.push_back(w);
  std::vector<Value> locals{net};
  EXPECT_EQ(f.check(locals), "");
  (void)net.as<InstanceObject>().attributes.as<DictObject>().table.set(make_str("weight"),
                                                                       tensor_value({3, 2}));
  EXPECT_EQ(f.check(locals), "tensor 'self.weight' size mismatch at index 0. expected 2, actual 3");
  (void)net.as<InstanceObject>().attributes.as<DictObject>().table.erase(make_str("weight"));
  EXPECT_EQ(f.check(locals), "self.weight is no longer available");
  locals[0] = make_instance(make_class("Other", Value()));
  EXPECT_EQ(f.check(locals), "expected type of 'self' to be Net, but found Other");
  // A global found in builtins, as LOAD_GLOBAL finds it.
  Fixture g;
  Guard id(GuardKind::ID_MATCH, g.sources.global("len"));
  id.identity = g.vm.builtin_class("int").as_object();  // deliberately not len
  id.type_name = "builtin len";
  g.guards.push_back(id);
  EXPECT_EQ(g.check({}), "'len' is not the builtin len traced");
}

TEST(GuardCheck, NoAliasingSeesSharedStorage) {
  Fixture f;
  auto a = f.sources.local(0, "a");
  auto b = f.sources.local(1, "b");
  Guard guard(GuardKind::NO_ALIASING, a);
  guard.unaliased = {b};
  f.guards.push_back(guard);
  Value first = tensor_value({4});
  std::vector<Value> locals{first, tensor_value({4})};
  EXPECT_EQ(f.check(locals), "");
  locals[1] = first;
  EXPECT_EQ(f.check(locals), "tensors 'a' and 'b' share storage");
}
