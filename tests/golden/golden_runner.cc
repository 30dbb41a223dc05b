// The golden-test runner: runs each program in a folder (with the prelude installed, as
// `gyro run` does) and compares what it prints (and the exception it ends with) against the
// file's own "expect" comment lines. The programs run in a scratch directory made for the run
// (and removed after it), so a program may write files by relative paths (save_file) without
// touching the source tree or another run's files.
//
//   ; expect: <a line the program prints>           (in order; "#" instead of ";" in .gy files)
//   ; expect error: <Type: message>                  (the uncaught exception's last line)
//   ; expect traceback: File "x.gya", line 2, in f   (traceback lines, in order)
#include <pthread.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "ir/assembler.h"
#include "lang/compiler.h"
#include "lang/prelude.h"

// 512 MiB of address space for the runner's thread (pages are only touched as used).
constexpr std::size_t kStackBytes = std::size_t{512} << 20;

namespace {

struct Expectations {
  std::vector<std::string> output;
  std::string error;
  std::vector<std::string> traceback;
};

Expectations read_expectations(const std::string& text) {
  Expectations expected;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    std::string_view rest(line);
    rest.remove_prefix(start);
    if (!(rest.starts_with("; expect") || rest.starts_with("# expect"))) continue;
    rest.remove_prefix(8);
    auto take = [&](std::string_view tag, auto&& sink) {
      if (!rest.starts_with(tag)) return false;
      std::string_view value = rest.substr(tag.size());
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      sink(std::string(value));
      return true;
    };
    if (take(" error:", [&](std::string v) { expected.error = std::move(v); })) continue;
    if (take(" traceback:", [&](std::string v) { expected.traceback.push_back(std::move(v)); }))
      continue;
    take(":", [&](std::string v) { expected.output.push_back(std::move(v)); });
  }
  return expected;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) lines.push_back(line);
  return lines;
}

// Runs one file; returns an empty string on success, else what differed.
// `compiled`: every script function call goes through compile() (the differential run).
std::string run_file(const std::filesystem::path& path, bool compiled) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string source = buffer.str();
  Expectations expected = read_expectations(source);

  std::string output, error_line, traceback;
  auto code = path.extension() == ".gy"
                  ? gyro::lang::compile_source(source, path.filename().string())
                  : gyro::assemble(source, path.filename().string());
  if (!code.ok()) {
    error_line = code.error().to_string();
  } else {
    gyro::Interpreter vm([&](std::string_view text) { output += text; });
    vm.limits().step_budget = 50'000'000;  // a runaway program fails instead of hanging ctest
    // The files run on a thread with a large stack (main below): with every function compiled,
    // each script call is a native call, and sanitizer builds have large frames. The call
    // depth limit (1000, as CPython) still ends a runaway recursion first.
    vm.limits().max_stack_bytes = kStackBytes - (std::size_t{16} << 20);
    vm.compile_config().compile_all = compiled;
    gyro::Status prelude = gyro::lang::install_prelude(vm);
    auto result =
        prelude.ok() ? vm.run_module(gyro::Module{path.stem().string(), *code}) : std::nullopt;
    if (!prelude.ok()) {
      error_line = "prelude: " + prelude.error().to_string();
    } else if (!result) {
      traceback = vm.format_exception(vm.exception());
      auto lines = split_lines(traceback);
      error_line = lines.empty() ? "" : lines.back();
    }
  }
  std::string report;
  auto actual = split_lines(output);
  if (actual != expected.output) {
    report += "  output differs:\n";
    for (std::size_t i = 0; i < std::max(actual.size(), expected.output.size()); ++i) {
      std::string want = i < expected.output.size() ? expected.output[i] : "<nothing>";
      std::string got = i < actual.size() ? actual[i] : "<nothing>";
      report += (want == got ? "    " : "  ! ") + std::string("expected: ") + want +
                "\n      got:      " + got + "\n";
    }
  }
  if (error_line != expected.error)
    report += "  error: expected '" + expected.error + "', got '" + error_line + "'\n";
  std::size_t from = 0;
  for (const std::string& line : expected.traceback) {
    std::size_t found = traceback.find(line, from);
    if (found == std::string::npos) {
      report += "  traceback lacks (in order) '" + line + "':\n" + traceback;
      break;
    }
    from = found + line.size();
  }
  return report;
}

}  // namespace

int run_all(int argc, char** argv);

int main(int argc, char** argv) {
  // A host thread with a large stack, as an embedding host would configure for deep programs.
  struct Arguments {
    int argc;
    char** argv;
    int status = 1;
  } arguments{argc, argv};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, kStackBytes);
  pthread_t thread;
  auto body = [](void* raw) -> void* {
    auto* args = static_cast<Arguments*>(raw);
    args->status = run_all(args->argc, args->argv);
    return nullptr;
  };
  if (pthread_create(&thread, &attributes, body, &arguments) != 0) return run_all(argc, argv);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
  return arguments.status;
}

int run_all(int argc, char** argv) {
  // --compiled: the same expectations must hold with every function compiled.
  bool compiled = argc == 3 && std::string_view(argv[1]) == "--compiled";
  if (argc != 2 && !compiled) {
    std::fprintf(stderr, "usage: %s [--compiled] FOLDER\n", argv[0]);
    return 2;
  }
  const char* folder = argv[argc - 1];
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder))
    if (entry.path().extension() == ".gya" || entry.path().extension() == ".gy")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (auto& file : files) file = std::filesystem::absolute(file);
  std::string scratch = (std::filesystem::temp_directory_path() / "gyro_golden_XXXXXX").string();
  if (!::mkdtemp(scratch.data())) {
    std::perror("gyro_golden_runner: mkdtemp");
    return 2;
  }
  const std::filesystem::path home = std::filesystem::current_path();
  std::filesystem::current_path(scratch);
  int passed = 0, failed = 0;
  for (const auto& file : files) {
    std::string report = run_file(file, compiled);
    if (report.empty()) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s\n%s", file.string().c_str(), report.c_str());
    }
  }
  std::filesystem::current_path(home);
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  std::printf("golden: %d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
