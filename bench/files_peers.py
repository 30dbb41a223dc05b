# The file peers of bench/files_bench.cc, on the same 1 GiB (64 float32 tensors of 16 MiB):
# NumPy's .npz (np.savez, np.load), NumPy's .npy memory-mapped (np.load(mmap_mode='r')), and
# torch.save / torch.load. Run with Debian's python3 (/usr/bin/python3: numpy, torch) in the
# same session as gyro_files_bench; prints one line per measurement, median of 5.
import os
import statistics
import sys
import tempfile
import time

import numpy as np

MIB = int(os.environ.get("GYRO_BENCH_FILE_MIB", "1024"))
TENSORS = 64
ELEMENTS = MIB * (1 << 20) // 4 // TENSORS


def median_seconds(run, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name, seconds, touched):
    rate = MIB / 1024 / seconds if seconds > 0 else float("inf")
    print(f"{name:44s} {seconds * 1e3:10.2f} ms  {rate:8.2f} GiB/s{'' if touched else '  (no data read)'}")


def touch(arrays):
    # One float per 4 KiB page, as files_bench's ..._and_touch_pages.
    total = 0.0
    for a in arrays:
        total += float(a.reshape(-1)[::1024].sum())
    return total


def main():
    arrays = {f"t{i}": np.full(ELEMENTS, i, dtype=np.float32) for i in range(TENSORS)}
    directory = tempfile.mkdtemp(prefix="gyro_files_peers_")
    npz = os.path.join(directory, "w.npz")
    npy_dir = os.path.join(directory, "npy")
    os.mkdir(npy_dir)
    try:
        report("numpy savez (.npz, no fsync)", median_seconds(lambda: np.savez(npz, **arrays), 3), True)
        report("numpy load .npz (reads everything)",
               median_seconds(lambda: [a for a in np.load(npz).values()]), True)
        for name, a in arrays.items():
            np.save(os.path.join(npy_dir, name + ".npy"), a)
        paths = [os.path.join(npy_dir, name + ".npy") for name in arrays]
        report("numpy load .npy mmap_mode='r' (64 files)",
               median_seconds(lambda: [np.load(p, mmap_mode="r") for p in paths]), False)
        report("numpy load .npy mmap + touch pages",
               median_seconds(lambda: touch([np.load(p, mmap_mode="r") for p in paths])), True)
        try:
            import torch
        except ImportError:
            print("torch: not available")
            return
        tensors = {name: torch.from_numpy(a) for name, a in arrays.items()}
        pt = os.path.join(directory, "w.pt")
        report("torch.save (no fsync)", median_seconds(lambda: torch.save(tensors, pt), 3), True)
        report("torch.load (reads everything)", median_seconds(lambda: torch.load(pt)), True)
    finally:
        for root, _, files in os.walk(directory, topdown=False):
            for f in files:
                os.remove(os.path.join(root, f))
            os.rmdir(root)


if __name__ == "__main__":
    sys.exit(main())
