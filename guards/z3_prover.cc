// The Z3 wrapper. Why each choice (research/z3.md): a private context per prover because
// verdicts under an rlimit depend on the context's accumulated state; contexts are created
// under a process-wide mutex because parallel creation has crashed Z3; QF_NIA names the logic
// (products of symbols appear in reshape facts); facts sit behind assumption literals so one
// incremental solver serves every subset of them; queries too, instead of push/pop (a pop after
// a cancelled check can run unbounded); and every z3::exception is an unknown.
#include "guards/z3_prover.h"

#include <z3++.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "guards/z3_translate.h"

namespace gyro::guards {

namespace {

std::mutex& z3_context_mutex() {
  static std::mutex mutex;
  return mutex;
}

uint64_t rlimit_count(const z3::solver& solver) {
  z3::stats stats = solver.statistics();
  for (unsigned i = 0; i < stats.size(); ++i)
    if (stats.key(i) == "rlimit count")
      return stats.is_uint(i) ? stats.uint_value(i) : static_cast<uint64_t>(stats.double_value(i));
  return 0;
}

}  // namespace

struct Z3Prover::Session {
  // Declared first, destroyed last: every expr below belongs to it.
  std::unique_ptr<z3::context> z3;
  std::optional<z3::solver> solver;
  std::unique_ptr<Z3Translator> translator;
  std::unordered_map<int, z3::expr> fact_literals;
  std::map<std::pair<int32_t, bool>, z3::expr> query_literals;
  size_t symbols_bounded = 0;
  uint64_t rlimit_seen = 0;

  explicit Session(const SymContext& context) {
    {
      std::lock_guard<std::mutex> lock(z3_context_mutex());
      z3 = std::make_unique<z3::context>();
    }
    solver.emplace(*z3, "QF_NIA");
    translator = std::make_unique<Z3Translator>(context, *z3, Z3Semantics::kInt64);
  }
  ~Session() {
    query_literals.clear();
    fact_literals.clear();
    translator.reset();
    solver.reset();
    std::lock_guard<std::mutex> lock(z3_context_mutex());
    z3.reset();
  }

  // Every symbol is an int64 binding: asserted unconditionally, once, when first seen.
  void bound_new_symbols() {
    const std::vector<int>& seen = translator->symbols_seen();
    for (; symbols_bounded < seen.size(); ++symbols_bounded)
      solver->add(translator->symbol_in_int64(seen[symbols_bounded]));
  }

  z3::expr fact_literal(int index, SymId fact) {
    auto it = fact_literals.find(index);
    if (it != fact_literals.end()) return it->second;
    std::string name = "fact";
    name += std::to_string(index);
    z3::expr literal = z3->bool_const(name.c_str());
    solver->add(z3::implies(literal, translator->holds(fact)));
    bound_new_symbols();
    fact_literals.emplace(index, literal);
    return literal;
  }

  z3::expr query_literal(SymId query, bool query_holds) {
    auto key = std::make_pair(query.index, query_holds);
    auto it = query_literals.find(key);
    if (it != query_literals.end()) return it->second;
    std::string name = query_holds ? "holds" : "fails";
    name += std::to_string(query.index);
    z3::expr literal = z3->bool_const(name.c_str());
    z3::expr holds = translator->holds(query);
    solver->add(z3::implies(literal, query_holds ? holds : !holds));
    bound_new_symbols();
    query_literals.emplace(key, literal);
    return literal;
  }
};

Z3Prover::Z3Prover(const SymContext& context, const ProverBudget& budget)
    : context_(context), budget_(budget) {}

Z3Prover::~Z3Prover() = default;

int Z3Prover::add_fact(SymId fact) {
  facts_.push_back(fact);
  return static_cast<int>(facts_.size() - 1);
}

bool Z3Prover::exhausted() const {
  return !budget_.use_z3 || stats_.rlimit_spent >= budget_.rlimit_total;
}

Z3Answer Z3Prover::check(std::span<const int> active, SymId query, bool query_holds,
                         std::vector<int64_t>* model) {
  if (exhausted()) return Z3Answer::kUnknown;
  const auto start = std::chrono::steady_clock::now();
  ++stats_.checks;
  Z3Answer answer = Z3Answer::kUnknown;
  try {
    if (!session_) session_ = std::make_unique<Session>(context_);
    Session& session = *session_;
    z3::expr_vector assumptions(*session.z3);
    for (int index : active) assumptions.push_back(session.fact_literal(index, facts_[index]));
    assumptions.push_back(session.query_literal(query, query_holds));

    const uint64_t remaining = budget_.rlimit_total - stats_.rlimit_spent;
    z3::params params(*session.z3);
    params.set("rlimit", static_cast<unsigned>(std::min<uint64_t>(
                             {budget_.rlimit_per_query, remaining, UINT32_MAX})));
    params.set("timeout", budget_.timeout_ms);
    params.set("random_seed", budget_.random_seed);
    params.set("model", model != nullptr);
    session.solver->set(params);

    const z3::check_result result = session.solver->check(assumptions);
    const uint64_t count = rlimit_count(*session.solver);
    stats_.rlimit_spent += count - std::min(count, session.rlimit_seen);
    session.rlimit_seen = count;
    if (result == z3::unsat) answer = Z3Answer::kUnsat;
    if (result == z3::sat) answer = Z3Answer::kSat;

    if (answer == Z3Answer::kSat && model != nullptr) {
      z3::model found = session.solver->get_model();
      for (int index : session.translator->symbols_seen()) {
        if (index < 0 || static_cast<size_t>(index) >= model->size()) continue;
        int64_t value = 0;
        z3::expr evaluated = found.eval(session.translator->symbol(index), true);
        if (!evaluated.is_numeral_i64(value)) {
          model->clear();
          break;
        }
        (*model)[index] = value;
      }
    }
  } catch (const z3::exception&) {
    answer = Z3Answer::kUnknown;
    if (model != nullptr) model->clear();
  }
  switch (answer) {
    case Z3Answer::kUnsat:
      ++stats_.unsat;
      break;
    case Z3Answer::kSat:
      ++stats_.sat;
      break;
    case Z3Answer::kUnknown:
      ++stats_.unknown;
      break;
  }
  stats_.ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return answer;
}

}  // namespace gyro::guards
