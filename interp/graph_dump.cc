// GYRO_DUMP_DIR: each new graph written as code (with its guards) and as Graphviz dot.
#include "interp/graph_dump.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "guards/guard.h"
#include "ir/graph_printer.h"

namespace gyro {
namespace {

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// A function name as a file name: letters, digits and '_' kept, anything else '_'.
std::string file_safe(std::string_view name) {
  std::string safe;
  for (char c : name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return safe;
}

}  // namespace

void dump_graph(Interpreter& vm, const std::string& directory, const Code& code,
                const Capture& capture, int frame_id, int compile_id) {
  const std::string stem =
      fmt::format("{}/{}_{}_{}", directory, frame_id, compile_id, file_safe(code.name));
  std::string text =
      fmt::format("# {} ({}:{}), frame {}, compile {}, from pc {}\n", code.name, code.filename,
                  code.first_line, frame_id, compile_id, capture.start_pc);
  text += print_graph(capture.graph, file_safe(code.name));
  text += "\n# guards:\n";
  for (const auto& guard : capture.guards)
    text += "#   " + guards::describe(capture.sources, guard) + "\n";
  if (capture.resume_pc >= 0) text += fmt::format("# graph break: {}\n", capture.break_reason);
  const bool written = write_file(stem + ".txt", text) &&
                       write_file(stem + ".dot", graph_to_dot(capture.graph, file_safe(code.name)));
  if (!written)
    vm.warn(fmt::format("GYRO_DUMP_DIR: cannot write {}.txt/.dot: {}", stem, std::strerror(errno)));
}

}  // namespace gyro
