// The backends gyro ships (eager, aot_eager), handed to the registry when it starts.
#pragma once

#include <vector>

#include "backends/backend.h"

namespace gyro {

// eager: one eager kernel per node. aot_eager: the "decompose" and "dce" passes, then eager.
std::vector<Backend> builtin_backends();

}  // namespace gyro
