#!/usr/bin/env python3
"""NumPy single elementwise ops on 16M float32 (median of 7), the per-op peer of eager_bench."""
import time

import numpy as np

N = 1 << 24
rng = np.random.default_rng(0)
x = rng.random(N, dtype=np.float32)
y = rng.random(N, dtype=np.float32)
OPS = {
    "add": lambda: x + y, "mul": lambda: x * y, "div": lambda: x / y,
    "maximum": lambda: np.maximum(x, y), "exp": lambda: np.exp(x), "tanh": lambda: np.tanh(x),
    "sigmoid": lambda: 1 / (1 + np.exp(-x)), "relu": lambda: np.maximum(x, 0),
    "sqrt": lambda: np.sqrt(x), "sum": lambda: x.sum(),
}
for name, fn in OPS.items():
    for _ in range(3):
        fn()
    times = []
    for _ in range(7):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    print(f"numpy {name:8s} {sorted(times)[3] * 1e3:8.2f} ms")
