// The vectorized backend: fused, SIMD, threaded execution of captured graphs.
#pragma once

#include "backends/backend.h"

namespace gyro::vectorized {

// The backend's registry entry ("vectorized"; option "threads", default: the cores).
Backend backend();

}  // namespace gyro::vectorized
