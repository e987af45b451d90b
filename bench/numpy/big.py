# Copied from /work/shared/anchors/numpy_big.py (the project's NumPy anchor for the scaling workload) so that
# `npm run bench -- --vs-numpy` can run it from the repository; unchanged below this note.
"""NumPy (float32 and float64) anchor for the scaling workload: MLP 64-256-256-10 (ReLU), full batch on
the 1797 digits, 200 epochs of SGD lr 0.1; prints {"dtype":..., "train_ms":..., "accuracy":...} per dtype.
OpenBLAS may use both cores (OPENBLAS_NUM_THREADS=1 for one). usage: python3 numpy_big.py [epochs] [float32,float64]"""
import json, sys, time
import numpy as np
from sklearn.datasets import load_digits
E = int(sys.argv[1]) if len(sys.argv) > 1 else 200
np.ones((64, 64)) @ np.ones((64, 64))  # loads the BLAS, so it shows in the process's maps
BLAS = "openblas" if "openblas" in open("/proc/self/maps").read() else "not OpenBLAS"
if BLAS != "openblas":
    print("warning: NumPy is not using OpenBLAS here (apt-get install libopenblas0-pthread): its times are not the anchor", file=sys.stderr)
X0, y = load_digits(return_X_y=True)
X0 = (X0 - X0.mean(0)) / (X0.std(0) + 1e-8)
for dt in [np.dtype(d).type for d in (sys.argv[2] if len(sys.argv) > 2 else "float32,float64").split(",")]:
    X = X0.astype(dt); Y = np.eye(10, dtype=dt)[y]; n = len(X)
    rng = np.random.RandomState(42); sizes = [64, 256, 256, 10]
    W = [(rng.randn(a, b) * 0.1).astype(dt) for a, b in zip(sizes, sizes[1:])]; B = [np.zeros((1, b), dt) for b in sizes[1:]]
    t0 = time.perf_counter()
    for e in range(E):
        A = [X]
        for i in range(3):
            z = A[-1] @ W[i] + B[i]
            A.append(np.maximum(z, 0) if i < 2 else z)
        z = A[-1]; p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
        G = (p - Y) / n
        for i in (2, 1, 0):
            dW = A[i].T @ G; db = G.sum(0, keepdims=True)
            if i > 0: G = (G @ W[i].T) * (A[i] > 0)
            W[i] -= dt(0.1) * dW; B[i] -= dt(0.1) * db
    ms = 1000 * (time.perf_counter() - t0)
    print(json.dumps({"dtype": np.dtype(dt).name, "blas": BLAS, "train_ms": round(ms, 1), "accuracy": float((p.argmax(1) == y).mean())}))
