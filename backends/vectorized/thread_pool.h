// The vectorized backend's workers: one process-wide Eigen thread pool and a parallel loop over
// a fixed split of the work, so results never depend on how many threads ran it.
#pragma once

#include <cstdint>

namespace gyro::vectorized {

// The default thread count: the machine's cores (at least 1).
int default_thread_count();

// Calls body(begin, end) over [0, units) split into at most `threads` contiguous ranges; the
// calling thread runs the first range and waits for the others, which run on the shared pool.
// Callers decide the units (blocks, rows, chunks) independently of `threads`, so a result is
// the same whichever thread computed each unit. Work under `min_units_per_thread` units per
// thread is not worth waking a worker for and runs on fewer threads.
// `body` is called by reference, not copied into a std::function: a loop that stays on the
// calling thread allocates nothing.
template <typename Body>
void parallel_for(int threads, int64_t units, int64_t min_units_per_thread, const Body& body);

// parallel_for's untyped core: fn(body, begin, end) per range.
using RangeFn = void (*)(const void* body, int64_t begin, int64_t end);
void parallel_ranges(int threads, int64_t units, int64_t min_units_per_thread, RangeFn fn,
                     const void* body);

template <typename Body>
void parallel_for(int threads, int64_t units, int64_t min_units_per_thread, const Body& body) {
  parallel_ranges(
      threads, units, min_units_per_thread,
      [](const void* erased, int64_t begin, int64_t end) {
        (*static_cast<const Body*>(erased))(begin, end);
      },
      &body);
}

}  // namespace gyro::vectorized
