// The pass table (from ir/passes.def) and the runner of named pass lists.
#include "ir/passes.h"

#include <string>
#include <vector>

namespace gyro {

namespace {

constexpr PassInfo kPasses[] = {
#define PASS(name, function, help) {#name, &function, help},
#include "ir/passes.def"
#undef PASS
};

}  // namespace

std::span<const PassInfo> all_passes() {
  return kPasses;
}

const PassInfo* find_pass(std::string_view name) {
  for (const PassInfo& pass : kPasses)
    if (pass.name == name) return &pass;
  return nullptr;
}

Expected<Graph> run_passes(Graph graph, std::span<const std::string_view> names) {
  std::vector<const PassInfo*> pipeline;
  for (std::string_view name : names) {
    const PassInfo* pass = find_pass(name);
    if (pass == nullptr) {
      std::vector<std::string_view> known;
      for (const PassInfo& p : kPasses) known.push_back(p.name);
      return make_error(ErrorKind::ValueError, "unknown graph pass '{}' (known: {})", name,
                        fmt::join(known, ", "));
    }
    pipeline.push_back(pass);
  }
  for (const PassInfo* pass : pipeline)
    if (std::optional<Graph> changed = pass->run(graph)) graph = std::move(*changed);
  return graph;
}

}  // namespace gyro
