// GYRO_DUMP_DIR: each new graph written as code (with its guards) and as Graphviz dot.
#pragma once

#include "interp/capture.h"
#include "interp/interpreter.h"
#include "ir/code.h"

namespace gyro {

// Writes <directory>/<frame>_<compile>_<function>.txt (the graph as code, then its guards and
// break reason) and .dot; a file that cannot be written is a warning, never a failed compile.
void dump_graph(Interpreter& vm, const std::string& directory, const Code& code,
                const Capture& capture, int frame_id, int compile_id);

}  // namespace gyro
