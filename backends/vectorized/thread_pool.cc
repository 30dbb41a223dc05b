// The shared pool behind parallel_for: Eigen's non-blocking pool, created on first use.
#include "backends/vectorized/thread_pool.h"

#define EIGEN_USE_THREADS
#include <algorithm>
#include <thread>

#include <unsupported/Eigen/CXX11/ThreadPool>

namespace gyro::vectorized {

namespace {

// One worker fewer than the cores: the calling thread takes a share of every loop. Tasks never
// wait on other tasks (only the caller waits), so concurrent runs from several host threads
// share the workers without deadlock.
Eigen::ThreadPool& shared_pool() {
  static Eigen::ThreadPool pool(std::max(1, default_thread_count() - 1));
  return pool;
}

}  // namespace

int default_thread_count() {
  static const int count = std::max(1u, std::thread::hardware_concurrency());
  return count;
}

void parallel_ranges(int threads, int64_t units, int64_t min_units_per_thread, RangeFn fn,
                     const void* body) {
  if (units <= 0) return;
  int64_t parts = std::min<int64_t>(std::max(threads, 1),
                                    std::max<int64_t>(1, units / std::max<int64_t>(1, min_units_per_thread)));
  if (parts <= 1) {
    fn(body, 0, units);
    return;
  }
  auto range = [&](int64_t part) {
    return std::pair<int64_t, int64_t>{units * part / parts, units * (part + 1) / parts};
  };
  Eigen::Barrier done(static_cast<unsigned>(parts - 1));
  for (int64_t part = 1; part < parts; ++part)
    shared_pool().Schedule([&, part] {
      auto [begin, end] = range(part);
      fn(body, begin, end);
      done.Notify();
    });
  auto [begin, end] = range(0);
  fn(body, begin, end);
  done.Wait();
}

}  // namespace gyro::vectorized
