// The differential fuzzer's program generator (program_generator.h). It keeps a typed view of
// the program it writes (each tensor variable's dtype and its sizes as symbolic tokens such as
// "A", "B-1" or "A*B") so that most statements it writes are valid for every shape set; a
// statement that still raises is fine, since every execution mode must raise the same.
#include "fuzz/program_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace gyro::fuzz {

namespace {

// The input read as choices; past its end every choice is 0, so any input makes a program.
class Choices {
 public:
  explicit Choices(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  int below(int n) {
    if (n <= 1 || position_ >= bytes_.size()) return 0;
    return bytes_[position_++] % n;
  }
  bool percent(int chance) { return below(100) < chance; }
  bool exhausted() const { return position_ >= bytes_.size(); }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(static_cast<int>(items.size()))];
  }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t position_ = 0;
};

// What the generator believes about a tensor: dtype ('f' float32, 'd' float64, 'l' int64,
// 'b' bool) and sizes as tokens; equal tokens mean equal sizes under every shape set.
struct TensorType {
  char dtype = 'f';
  std::vector<std::string> dims;
  bool is_float() const { return dtype == 'f' || dtype == 'd'; }
  bool operator==(const TensorType&) const = default;
};

struct Variable {
  std::string name;
  TensorType type;
};

// Right-aligned broadcasting over tokens ("1" broadcasts); nullopt when the generator cannot
// tell that the sizes agree.
std::optional<std::vector<std::string>> broadcast(const std::vector<std::string>& a,
                                                  const std::vector<std::string>& b) {
  std::vector<std::string> out(std::max(a.size(), b.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string* da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const std::string* db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    std::string& slot = out[out.size() - 1 - i];
    if (!db) {
      slot = *da;
    } else if (!da || *da == "1") {
      slot = *db;
    } else if (*db == "1" || *da == *db) {
      slot = *da;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

char promote(char a, char b) {
  if (a == 'd' || b == 'd') return 'd';
  if (a == 'f' || b == 'f') return 'f';
  if (a == 'l' || b == 'l') return 'l';
  return 'b';
}

// Helper functions the body may call; each is elementwise in its two same-typed arguments,
// and some break the graph, print, branch on data or raise inside the inlined call.
constexpr std::string_view kHelpers = R"(def scale_add(p, q):
    return p * 0.5 + q

def break_between(p, q):
    r = p - q
    graph_break()
    return r * 2

def branch_on_data(p, q):
    if p.sum() > q.sum():
        return p.relu()
    return q.tanh()

def print_and_mix(p, q):
    print("mix", p.shape, len(p.shape))
    return (p * q).sigmoid()

def nested(p, q):
    return scale_add(break_between(q, p), p)

def out_of_range(p, q):
    return p + q[1000]

)";
constexpr std::string_view kHelperNames[] = {"scale_add",     "break_between", "branch_on_data",
                                             "print_and_mix", "nested",        "out_of_range"};

class Generator {
 public:
  explicit Generator(std::span<const uint8_t> bytes) : in_(bytes) {}

  GeneratedProgram run() {
    GeneratedProgram program;
    program.calls = shape_sets();
    scopes_.push_back({{"x", {'f', {"A", "B"}}},
                       {"y", {'f', {"A", "B"}}},
                       {"w", {'f', {"B", "C"}}},
                       {"v", {'f', {"B"}}}});
    items_ = {{'f', {"A", "B"}}, {'f', {"A", "B"}}};
    for (int count = 0; count < kMaxStatements && !in_.exhausted(); ++count) statement(0);
    std::string returned = returns();
    program.source = fmt::format(
        "def inputs(a, b, c, n):\n"
        "    x = ((arange(a * b) * 7 + 3) % 11 - 5).float().reshape(a, b)\n"
        "    y = ((arange(a * b) * 5 + 1) % 7 - 3).float().reshape(a, b)\n"
        "    w = ((arange(b * c) * 3 + 2) % 5 - 2).float().reshape(b, c)\n"
        "    v = ((arange(b) * 2 + 1) % 3 - 1).float()\n"
        "    manual_seed(a * 100 + b * 10 + c)\n"
        "    return [x, y, w, v, n, [x * 2, y]]\n\n"
        "{}"
        "def f(x, y, w, v, n, items):\n"
        "{}"
        "    return {}\n\n"
        "def compiled_with(backend, dynamic):\n"
        "    return compile(f, backend=backend, dynamic=dynamic)\n",
        kHelpers, body_, returned);
    return program;
  }

 private:
  static constexpr int kMaxStatements = 24;
  static constexpr int kMaxDepth = 2;

  std::vector<ShapeSet> shape_sets() {
    auto size = [&](std::initializer_list<int64_t> options) {
      std::vector<int64_t> list(options);
      return in_.pick(list);
    };
    ShapeSet first{{size({2, 3, 4, 5, 1}), size({3, 4, 2, 6, 1}), size({2, 3, 1, 5})},
                   size({1, 2, 3})};
    ShapeSet second = first;
    // Change at least one size, sometimes to 0 or 1 (which stay specialized).
    int changed = in_.below(4);
    if (changed < 3) {
      second.sizes[changed] = size({7, 6, 2, 3, 1, 0, 5});
      if (second.sizes[changed] == first.sizes[changed]) second.sizes[changed] += 2;
    } else {
      second.n = first.n + 1;
    }
    if (in_.percent(40)) second.sizes[in_.below(3)] += 1;
    return {first, second, first};
  }

  // --- variables -------------------------------------------------------------------------
  std::vector<Variable> visible() const {
    std::vector<Variable> all;
    for (const auto& scope : scopes_) all.insert(all.end(), scope.begin(), scope.end());
    return all;
  }
  std::string fresh() { return fmt::format("t{}", next_id_++); }
  void emit(int depth, const std::string& line) {
    body_ += std::string(4 * (depth + 1), ' ') + line + "\n";
  }
  // A new variable in the innermost scope, or (sometimes) an existing one of the same type
  // assigned again, which makes branches and loops carry values.
  void assign(int depth, const std::string& expression, const TensorType& type) {
    if (in_.percent(30)) {
      for (const Variable& variable : visible())
        if (variable.type == type) {
          emit(depth, fmt::format("{} = {}", variable.name, expression));
          return;
        }
    }
    std::string name = fresh();
    emit(depth, fmt::format("{} = {}", name, expression));
    scopes_.back().push_back({name, type});
  }
  Variable any_tensor() { return in_.pick(visible()); }
  // t as a float tensor: itself, or converted.
  static std::string as_float(const Variable& t) {
    return t.type.is_float() ? t.name : t.name + ".float()";
  }
  static char float_dtype(const Variable& t) { return t.type.is_float() ? t.type.dtype : 'f'; }
  // An expression for a size token, if one is known (the token of some visible dim).
  std::optional<std::string> size_of(const std::string& token) const {
    if (token == "1") return "1";
    for (const Variable& variable : visible())
      for (std::size_t d = 0; d < variable.type.dims.size(); ++d)
        if (variable.type.dims[d] == token) return fmt::format("{}.shape[{}]", variable.name, d);
    return std::nullopt;
  }

  // --- statements --------------------------------------------------------------------------
  void statement(int depth) {
    switch (in_.below(depth < kMaxDepth ? 16 : 12)) {
      case 0:
      case 1:
        unary(depth);
        break;
      case 2:
      case 3:
        binary(depth);
        break;
      case 4:
        reduction(depth);
        break;
      case 5:
        matmul(depth);
        break;
      case 6:
        movement(depth);
        break;
      case 7:
        creation(depth);
        break;
      case 8:
        in_place(depth);
        break;
      case 9:
        side_effect(depth);
        break;
      case 10:
        scalar_from_tensor(depth);
        break;
      case 11:
        call_helper(depth);
        break;
      case 12:
      case 13:
        branch(depth);
        break;
      default:
        loop(depth);
        break;
    }
  }

  void unary(int depth) {
    Variable t = any_tensor();
    static const std::vector<std::string> kFloatOps = {"{}.relu()",
                                                       "{}.sigmoid()",
                                                       "{}.tanh()",
                                                       "-{}",
                                                       "{}.abs()",
                                                       "{}.exp()",
                                                       "{}.sin()",
                                                       "{}.floor()",
                                                       "{}.round()",
                                                       "{}.sign()",
                                                       "{}.abs().sqrt()",
                                                       "({}.abs() + 1).log()",
                                                       "{}.clamp(min=-1.0, max=2.0)",
                                                       "{} * 0.5",
                                                       "{} + 1",
                                                       "{} ** 2",
                                                       "1 - {}",
                                                       "{}.reciprocal()",
                                                       "gelu({})",
                                                       "{}.silu()",
                                                       "{}.to(float64)",
                                                       "{}.cos()"};
    static const std::vector<std::string> kAnyOps = {
        "{} + 1", "{} * 3", "-{}", "{}.abs()", "{}.long()", "{}.float()", "{}.clone()"};
    if (t.type.dtype != 'b' && in_.percent(25)) {
      const std::string& op = in_.pick(kAnyOps);
      TensorType type = t.type;
      if (op.find("long") != std::string::npos) type.dtype = 'l';
      if (op.find("float") != std::string::npos) type.dtype = 'f';
      assign(depth, fmt::format(fmt::runtime(op), t.name), type);
      return;
    }
    const std::string& op = in_.pick(kFloatOps);
    TensorType type{float_dtype(t), t.type.dims};
    if (op.find("float64") != std::string::npos) type.dtype = 'd';
    assign(depth, fmt::format(fmt::runtime(op), fmt::format("({})", as_float(t))), type);
  }

  // A tensor whose sizes broadcast with a's, if any (often a itself or an input).
  std::optional<Variable> partner(const Variable& a) {
    std::vector<Variable> fitting;
    for (const Variable& b : visible())
      if (broadcast(a.type.dims, b.type.dims)) fitting.push_back(b);
    if (fitting.empty()) return std::nullopt;
    return in_.pick(fitting);
  }

  void binary(int depth) {
    Variable a = any_tensor();
    if (in_.percent(20)) {  // with a Python scalar
      static const std::vector<std::string> kScalarOps = {"{} * 2.5", "{} - 3",  "2 - {}",
                                                          "{} / 4",   "{} // 2", "{} % 3"};
      const std::string& op = in_.pick(kScalarOps);
      // Bools go through float: PyTorch refuses - on bools.
      TensorType type{a.type.dtype == 'b' ? 'f' : a.type.dtype, a.type.dims};
      if (op.find('.') != std::string::npos || op.find("/ 4") != std::string::npos)
        type.dtype = type.is_float() ? type.dtype : 'f';
      assign(depth, fmt::format(fmt::runtime(op), a.type.dtype == 'b' ? as_float(a) : a.name),
             type);
      return;
    }
    auto b = partner(a);
    if (!b) return;
    auto dims = broadcast(a.type.dims, b->type.dims);
    static const std::vector<std::string> kOps = {"{} + {}",
                                                  "{} - {}",
                                                  "{} * {}",
                                                  "{} / {}",
                                                  "maximum({}, {})",
                                                  "minimum({}, {})",
                                                  "where({0} > {1}, {0}, {1})",
                                                  "{} > {}",
                                                  "{} == {}"};
    const std::string& op = in_.pick(kOps);
    // Bools go through float: PyTorch refuses - on bools, and keeps + of bools a bool.
    std::string left = a.type.dtype == 'b' ? as_float(a) : a.name;
    std::string right = b->type.dtype == 'b' ? as_float(*b) : b->name;
    char dtype =
        promote(left == a.name ? a.type.dtype : 'f', right == b->name ? b->type.dtype : 'f');
    if (op == "{} / {}" && dtype == 'l') dtype = 'f';
    if (op.find('>') != std::string::npos && op.find("where") == std::string::npos) dtype = 'b';
    if (op.find("==") != std::string::npos) dtype = 'b';
    assign(depth, fmt::format(fmt::runtime(op), left, right), {dtype, *dims});
  }

  void reduction(int depth) {
    Variable t = any_tensor();
    int rank = static_cast<int>(t.type.dims.size());
    static const std::vector<std::string> kReductions = {"sum", "mean",      "max",  "min",
                                                         "var", "logsumexp", "prod", "std"};
    static const std::vector<std::string> kRowOps = {"softmax", "log_softmax"};
    if (rank == 0 || in_.percent(15)) {
      static const std::vector<std::string> kAll = {"sum", "mean", "max", "amax", "any", "all"};
      const std::string& op = in_.pick(kAll);
      bool logical = op == "any" || op == "all";
      assign(depth, fmt::format("{}.{}()", logical ? t.name : as_float(t), op),
             {logical ? 'b' : float_dtype(t), {}});
      return;
    }
    int dim = in_.below(rank);
    std::string dim_text = in_.percent(30) ? std::to_string(dim - rank) : std::to_string(dim);
    if (in_.percent(20)) {
      assign(depth, fmt::format("{}.{}(dim={})", as_float(t), in_.pick(kRowOps), dim_text),
             {float_dtype(t), t.type.dims});
      return;
    }
    if (in_.percent(10)) {
      TensorType type{'l', t.type.dims};
      type.dims.erase(type.dims.begin() + dim);
      assign(depth, fmt::format("{}.argmax(dim={})", as_float(t), dim_text), type);
      return;
    }
    bool keepdim = in_.percent(30);
    TensorType type{float_dtype(t), t.type.dims};
    if (keepdim) {
      type.dims[dim] = "1";
    } else {
      type.dims.erase(type.dims.begin() + dim);
    }
    const std::string& op = in_.pick(kReductions);
    std::string dims =
        op == "logsumexp" || in_.percent(50) ? fmt::format("[{}]", dim_text) : dim_text;
    assign(depth,
           fmt::format("{}.{}(dim={}{})", as_float(t), op, dims, keepdim ? ", keepdim=True" : ""),
           type);
  }

  void matmul(int depth) {
    std::vector<std::pair<Variable, Variable>> pairs;
    for (const Variable& a : visible())
      for (const Variable& b : visible()) {
        const auto& da = a.type.dims;
        const auto& db = b.type.dims;
        if (da.empty() || db.empty() || da.size() > 2 || db.size() > 2) continue;
        const std::string& inner_b = db.size() == 2 ? db[0] : db[0];
        if (da.back() == inner_b) pairs.emplace_back(a, b);
      }
    if (pairs.empty()) return;
    auto [a, b] = in_.pick(pairs);
    std::vector<std::string> dims;
    if (a.type.dims.size() == 2) dims.push_back(a.type.dims[0]);
    if (b.type.dims.size() == 2) dims.push_back(b.type.dims[1]);
    char dtype = promote(float_dtype(a), float_dtype(b));
    const char* form = in_.percent(50) ? "{} @ {}" : "matmul({}, {})";
    assign(depth, fmt::format(fmt::runtime(form), as_float(a), as_float(b)), {dtype, dims});
  }

  void movement(int depth) {
    Variable t = any_tensor();
    auto dims = t.type.dims;
    int rank = static_cast<int>(dims.size());
    switch (in_.below(10)) {
      case 0:
        if (rank != 2) break;
        std::swap(dims[0], dims[1]);
        assign(
            depth,
            fmt::format(fmt::runtime(in_.percent(50) ? "{}.permute(1, 0)" : "{}.transpose(0, 1)"),
                        t.name),
            {t.type.dtype, dims});
        return;
      case 1: {
        std::string product;
        for (const std::string& d : dims)
          if (d != "1") product += product.empty() ? d : fmt::format("*{}", d);
        assign(
            depth,
            fmt::format(fmt::runtime(in_.percent(50) ? "{}.reshape(-1)" : "{}.flatten()"), t.name),
            {t.type.dtype, {product.empty() ? "1" : product}});
        return;
      }
      case 2: {
        int at = in_.below(rank + 1);
        dims.insert(dims.begin() + at, "1");
        assign(depth, fmt::format("{}.unsqueeze({})", t.name, at), {t.type.dtype, dims});
        return;
      }
      case 3:
        if (rank == 0) break;
        dims[0] = fmt::format("({})-1", dims[0]);
        assign(depth, fmt::format(fmt::runtime(in_.percent(50) ? "{}[1:]" : "{}[:-1]"), t.name),
               {t.type.dtype, dims});
        return;
      case 4: {
        if (rank == 0) break;
        bool second = rank >= 2 && in_.percent(50);
        dims.erase(dims.begin() + (second ? 1 : 0));
        assign(depth, fmt::format(fmt::runtime(second ? "{}[:, 0]" : "{}[0]"), t.name),
               {t.type.dtype, dims});
        return;
      }
      case 5:
        if (rank == 0) break;
        dims[0] = fmt::format("({0})+({0})", dims[0]);
        assign(depth, fmt::format("cat([{0}, {0} * 2], dim=0)", t.name), {t.type.dtype, dims});
        return;
      case 6: {
        auto one = std::find(dims.begin(), dims.end(), "1");
        if (one == dims.end()) break;
        std::vector<std::string> sizes(dims.size(), "-1");
        sizes[one - dims.begin()] = "x.shape[0]";
        *one = "A";
        assign(depth, fmt::format("{}.expand({})", t.name, fmt::join(sizes, ", ")),
               {t.type.dtype, dims});
        return;
      }
      case 7:
        if (rank == 0) break;
        dims[0] = fmt::format("(({})+1)//2", dims[0]);
        assign(depth, fmt::format("{}[::2]", t.name), {t.type.dtype, dims});
        return;
      case 8:
        dims.insert(dims.begin(), "2");
        assign(depth, fmt::format("stack([{0}, {0} + 1])", t.name), {t.type.dtype, dims});
        return;
      default:
        // view() needs a contiguous tensor: on a transposed one both paths must raise alike.
        assign(
            depth,
            fmt::format(fmt::runtime(in_.percent(50) ? "{}.contiguous()" : "{}.view(-1)"), t.name),
            t.type);
        return;
    }
    assign(depth, t.name + ".clone()", t.type);
  }

  void creation(int depth) {
    Variable t = any_tensor();
    std::vector<std::string> sizes;
    for (std::size_t d = 0; d < t.type.dims.size(); ++d)
      sizes.push_back(fmt::format("{}.shape[{}]", t.name, d));
    switch (in_.below(4)) {
      case 0:
        assign(depth, fmt::format("zeros({}) + 1.5", fmt::join(sizes, ", ")), {'f', t.type.dims});
        return;
      case 1:  // random: every mode must draw the same stream
        assign(depth, fmt::format("randn({})", fmt::join(sizes, ", ")), {'f', t.type.dims});
        return;
      case 2:
        if (t.type.dims.empty()) return;
        assign(depth, fmt::format("arange({}.shape[-1])", t.name), {'l', {t.type.dims.back()}});
        return;
      default:
        assign(depth, fmt::format("full({}.shape, 2.0)", t.name), {'f', t.type.dims});
        return;
    }
  }

  void in_place(int depth) {
    std::vector<Variable> floats;
    for (const Variable& t : visible())
      if (t.type.dtype == 'f') floats.push_back(t);
    if (floats.empty()) return;
    Variable t = in_.pick(floats);
    switch (in_.below(6)) {
      case 0:
      case 1: {
        auto b = partner(t);
        if (!b || broadcast(t.type.dims, b->type.dims) != t.type.dims) return;
        static const std::vector<std::string> kOps = {"add_", "sub_", "mul_"};
        emit(depth, fmt::format("{}.{}({})", t.name, in_.pick(kOps), b->name));
        return;
      }
      case 2:
        emit(depth, fmt::format("{}.mul_(2)", t.name));
        return;
      case 3:
        if (t.type.dims.empty()) return;
        emit(depth, fmt::format("{}[0] = 7.0", t.name));
        return;
      case 4:
        if (t.type.dims.empty()) return;
        emit(depth, fmt::format("{}[0].add_(1)", t.name));  // a write through a view
        return;
      default:
        emit(depth, fmt::format("{}.fill_(0.25)", t.name));
        return;
    }
  }

  void side_effect(int depth) {
    Variable t = any_tensor();
    switch (in_.below(6)) {
      case 0:
        emit(depth, fmt::format("print({}.shape)", t.name));
        return;
      case 1:
        emit(depth, fmt::format("print({})", t.name));
        return;
      case 2:
        emit(depth, fmt::format("items.append({})", t.name));
        items_.push_back(t.type);
        return;
      case 3:
        emit(depth, "graph_break()");
        return;
      case 4: {
        TensorType last = items_.back();
        if (last != items_.front() || !broadcast(last.dims, last.dims)) return;
        assign(depth, "items[0] + items[-1]", last);
        return;
      }
      default:
        emit(depth, fmt::format("print(len(items), n)"));
        return;
    }
  }

  // A Python number read from a tensor (.item(): a graph break), used in a later op.
  void scalar_from_tensor(int depth) {
    Variable t = any_tensor();
    std::string scalar = fresh();
    emit(depth, fmt::format("{} = {}.sum().item()", scalar, as_float(t)));
    Variable u = any_tensor();
    assign(depth, fmt::format("{} * {}", as_float(u), scalar), {float_dtype(u), u.type.dims});
  }

  void call_helper(int depth) {
    Variable a = any_tensor();
    std::vector<Variable> same;
    for (const Variable& b : visible())
      if (b.type.dims == a.type.dims) same.push_back(b);
    Variable b = in_.pick(same);
    std::string_view helper = kHelperNames[in_.below(std::size(kHelperNames))];
    std::string call = fmt::format("{}({}, {})", helper, as_float(a), as_float(b));
    if (helper == "out_of_range" || in_.percent(10)) {
      // The helper raises (or may): caught inside f, so the call goes on.
      std::string name = fresh();
      emit(depth, "try:");
      emit(depth + 1, fmt::format("{} = {}", name, call));
      emit(depth, "except IndexError as e:");
      emit(depth + 1, "print(\"caught\", e)");
      emit(depth + 1, fmt::format("{} = {}", name, as_float(a)));
      scopes_.back().push_back({name, {promote(float_dtype(a), float_dtype(b)), a.type.dims}});
      return;
    }
    assign(depth, call, {promote(float_dtype(a), float_dtype(b)), a.type.dims});
  }

  std::string condition() {
    Variable t = any_tensor();
    switch (in_.below(7)) {
      case 0:
        return fmt::format("x.shape[0] > {}", in_.below(5));
      case 1:
        return fmt::format("n > {}", in_.below(3));
      case 2:
        return fmt::format("{}.numel() > {}", t.name, in_.below(12));
      case 3:
        return fmt::format("len(items) > {}", in_.below(4));
      case 4:
        return fmt::format("({} > 0).sum() > {}", t.name, in_.below(4));  // on data
      case 5:
        return fmt::format("{}.sum() > 0", as_float(t));
      default:
        return "w.shape[1] == v.shape[0]";
    }
  }

  // An indented block of 1-3 statements in its own scope ("pass" if none was written).
  void block(int depth) {
    scopes_.emplace_back();
    std::size_t start = body_.size();
    int count = 1 + in_.below(3);
    for (int i = 0; i < count; ++i) statement(depth);
    if (body_.size() == start) emit(depth, "pass");
    scopes_.pop_back();
  }

  void branch(int depth) {
    emit(depth, fmt::format("if {}:", condition()));
    block(depth + 1);
    if (in_.percent(50)) {
      emit(depth, "else:");
      block(depth + 1);
    }
  }

  void loop(int depth) {
    std::string index = fmt::format("i{}", next_id_++);
    if (in_.percent(30)) {
      emit(depth, fmt::format("for {} in range(n):", index));
    } else {
      emit(depth, fmt::format("for {} in range({}):", index, 1 + in_.below(3)));
    }
    Variable carried = any_tensor();
    if (carried.type.is_float())  // a value carried around the loop
      emit(depth + 1, fmt::format("{0} = {0} + {1}", carried.name, index));
    block(depth + 1);
    if (in_.percent(20)) {
      emit(depth + 1, fmt::format("if {} == 1:", index));
      emit(depth + 2, "break");
    }
  }

  std::string returns() {
    std::vector<std::string> names;
    int count = 1 + in_.below(3);
    for (int i = 0; i < count; ++i) names.push_back(any_tensor().name);
    if (in_.percent(20)) names.push_back("n");
    return fmt::format("{},", fmt::join(names, ", "));
  }

  Choices in_;
  std::vector<std::vector<Variable>> scopes_;
  std::vector<TensorType> items_;
  std::string body_;
  int next_id_ = 0;
};

}  // namespace

GeneratedProgram generate_program(std::span<const uint8_t> bytes) {
  return Generator(bytes).run();
}

}  // namespace gyro::fuzz
