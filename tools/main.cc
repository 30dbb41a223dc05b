// The gyro command line: run gyro script, assembly or bytecode; compile script to .gyc;
// disassemble and assemble.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "interp/interpreter.h"
#include "ir/assembler.h"
#include "ir/bytecode_file.h"
#include "ir/disassembler.h"
#include "ir/version.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;   // I/O failures and uncaught exceptions
constexpr int kExitBadInput = 2;  // syntax or verification errors in the input

int report(const gyro::Error& error) {
  std::fprintf(stderr, "gyro: %s\n", error.to_string().c_str());
  bool bad_input = error.kind == gyro::ErrorKind::BytecodeError ||
                   error.kind == gyro::ErrorKind::SyntaxError ||
                   error.kind == gyro::ErrorKind::IndentationError;
  return bad_input ? kExitBadInput : kExitFailure;
}

gyro::Expected<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return gyro::make_error(gyro::ErrorKind::RuntimeError, "cannot open {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Loads a module from gyro script (.gy), text assembly (.gya) or a binary file (anything else).
gyro::Expected<gyro::Module> load(const std::string& path) {
  if (path.ends_with(".gy")) {
    GYRO_ASSIGN_OR_RETURN(std::string source, read_text(path));
    GYRO_ASSIGN_OR_RETURN(auto top, gyro::lang::compile_source(source, path));
    return gyro::Module{path, std::move(top)};
  }
  if (!path.ends_with(".gya")) return gyro::read_bytecode_file(path);
  GYRO_ASSIGN_OR_RETURN(std::string text, read_text(path));
  GYRO_ASSIGN_OR_RETURN(auto top, gyro::assemble(text, path));
  return gyro::Module{path, std::move(top)};
}

// Runs a module on the reference VM (with the prelude's builtins); an uncaught exception prints its traceback to stderr.
// How to run: `stats` prints what compiling did afterwards (to stderr); `explain` turns on the
// logs that say what was captured and why it broke or recompiled, and compiles every function.
struct RunOptions {
  bool stats = false;
  bool explain = false;
};

int run_module(const gyro::Module& module, const RunOptions& options = {}) {
  gyro::Interpreter vm;
  gyro::Status prelude = gyro::lang::install_prelude(vm);
  if (!prelude.ok()) return report(prelude.error());
  if (options.stats || options.explain) vm.compile_config().time_graph_runs = true;
  if (options.explain) {
    if (!std::getenv("GYRO_LOGS")) vm.set_logs("graph,graph_breaks,guards,recompiles");
    vm.compile_config().compile_all = true;
  }
  const bool ok = vm.run_module(module).has_value();
  std::fflush(stdout);
  if (!ok) std::fputs(vm.format_exception(vm.exception()).c_str(), stderr);
  if (options.stats || options.explain)
    std::fprintf(stderr, "gyro stats:\n%s\n", gyro::describe_stats(vm.compile_stats()).c_str());
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gyro: a symbolic tensor-program compiler and runtime"};
  app.set_version_flag("--version", fmt::format("gyro {} (bytecode {}.{})", gyro::kGyroVersion, gyro::kBytecodeMajor,
                                                gyro::kBytecodeMinor));
  app.require_subcommand(1);

  std::string run_path;
  CLI::App* run = app.add_subcommand("run", "Compile and run a gyro script (.gy) file");
  run->add_option("file", run_path, "gyro script (.gy), assembly (.gya) or bytecode (.gyc)")
      ->required();

  RunOptions run_options;
  run->add_flag("--stats", run_options.stats,
                "print what compiling did (graphs, breaks, recompiles, cache hits and misses, "
                "Z3, time) to stderr");

  std::string explain_path;
  CLI::App* explain = app.add_subcommand(
      "explain",
      "Run a file with every function compiled, logging each graph, graph break (with its "
      "reason and line), guard set and recompile, then the stats");
  explain->add_option("file", explain_path, "gyro script (.gy), assembly (.gya) or bytecode (.gyc)")
      ->required();

  std::string dis_path;
  CLI::App* dis = app.add_subcommand("dis", "Print the disassembly of a .gy, .gya or .gyc file");
  dis->add_option("file", dis_path, "gyro script (.gy), assembly (.gya) or bytecode (.gyc)")
      ->required();

  std::string compile_path, compile_output;
  CLI::App* compile =
      app.add_subcommand("compile", "Compile gyro script (.gy) to a verified bytecode file (.gyc)");
  compile->add_option("file", compile_path, "gyro script (.gy)")->required();
  compile->add_option("-o,--output", compile_output, "the .gyc to write (default: FILE.gyc)");

  std::string asm_path, output_path;
  bool no_run = false;
  CLI::App* assemble = app.add_subcommand("asm", "Assemble, verify and run a .gya file");
  assemble->add_option("file", asm_path, "text assembly (.gya)")->required();
  assemble->add_option("-o,--output", output_path, "also write the verified module as .gyc");
  assemble->add_flag("--no-run", no_run, "only assemble and verify");

  CLI11_PARSE(app, argc, argv);

  if (dis->parsed()) {
    auto module = load(dis_path);
    if (!module.ok()) return report(module.error());
    std::fputs(gyro::disassemble(*module->top).c_str(), stdout);
    return kExitOk;
  }
  if (compile->parsed()) {
    if (!compile_path.ends_with(".gy")) {
      std::fprintf(stderr, "gyro: compile takes gyro script (.gy), not %s\n", compile_path.c_str());
      return kExitBadInput;
    }
    auto module = load(compile_path);
    if (!module.ok()) return report(module.error());
    if (compile_output.empty()) compile_output = compile_path + "c";
    gyro::Status written = gyro::write_bytecode_file(compile_output, *module);
    if (!written.ok()) return report(written.error());
    return kExitOk;
  }
  if (run->parsed()) {
    auto module = load(run_path);
    if (!module.ok()) return report(module.error());
    return run_module(*module, run_options);
  }
  if (explain->parsed()) {
    auto module = load(explain_path);
    if (!module.ok()) return report(module.error());
    return run_module(*module, RunOptions{.stats = true, .explain = true});
  }
  auto module = load(asm_path);
  if (!module.ok()) return report(module.error());
  if (!output_path.empty()) {
    gyro::Status written = gyro::write_bytecode_file(output_path, *module);
    if (!written.ok()) return report(written.error());
  }
  if (no_run) {
    std::fprintf(stderr, "%s: %zu code objects verified%s\n", asm_path.c_str(),
                 gyro::all_codes(*module->top).size(),
                 output_path.empty() ? "" : (", written to " + output_path).c_str());
    return kExitOk;
  }
  return run_module(*module);
}
