"""The original tutorial's two NumPy scripts (np_mlp_digits.py and np_slp_digits.py; what they print is in
test/fixtures/original.json) as one timed script for `npm run bench -- --vs-numpy`: float64, scikit-learn's load_digits, the MLP
standardised per feature ((x - mean) / (std + 1e-8)) and the SLP globally ((X - mean) / std), weights
np.random.seed(42) randn(fan_in, fan_out) * 0.1 drawn W1 then W2, zero biases, full-batch SGD at lr 0.1,
1000 epochs, and every 100 epochs the training accuracy and mean cross-entropy of that epoch's forward pass
(before its update), kept rather than printed so that printing costs the loop nothing. Prints one JSON line:
{"model", "dtype", "blas", "epochs", "train_ms" (the training loop alone), "accuracy", "correct" and "loss"
(the reports, epoch 0, 100, ...)}. test/fixtures/original.json holds its reports.
usage: python3 original.py mlp|slp [epochs]"""
import json, sys, time
import numpy as np
from sklearn.datasets import load_digits

MODEL = sys.argv[1] if len(sys.argv) > 1 else "mlp"
E = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
if MODEL not in ("mlp", "slp"):
    sys.exit("usage: python3 original.py mlp|slp [epochs]")
np.ones((64, 64)) @ np.ones((64, 64))  # loads the BLAS, so it shows in the process's maps
BLAS = "openblas" if "openblas" in open("/proc/self/maps").read() else "not OpenBLAS"
X, y = load_digits(return_X_y=True)
X = (X - X.mean(0)) / (X.std(0) + 1e-8) if MODEL == "mlp" else (X - X.mean()) / X.std()
Y = np.eye(10)[y]; n = len(X); lr = 0.1
np.random.seed(42)
sizes = [64, 32, 10] if MODEL == "mlp" else [64, 10]
W = [np.random.randn(a, b) * 0.1 for a, b in zip(sizes, sizes[1:])]
B = [np.zeros(b) for b in sizes[1:]]
L = len(W); reports = []; correct = []; losses = []
t0 = time.perf_counter()
for epoch in range(E):
    A = [X]
    for i in range(L):
        z = A[-1] @ W[i] + B[i]
        A.append(np.maximum(0, z) if i < L - 1 else z)
    z = A[-1] - A[-1].max(1, keepdims=True); P = np.exp(z); P /= P.sum(1, keepdims=True)
    if epoch % 100 == 0:
        hits = int((P.argmax(1) == y).sum())
        reports.append(hits / n); correct.append(hits)
        losses.append(float(-np.log(P[np.arange(n), y]).mean()))
    G = (P - Y) / n
    for i in reversed(range(L)):
        G_below = (G @ W[i].T) * (A[i] > 0) if i > 0 else None
        W[i] -= lr * A[i].T @ G; B[i] -= lr * G.sum(0)
        G = G_below
ms = 1000 * (time.perf_counter() - t0)
print(json.dumps({"model": MODEL, "dtype": "float64", "blas": BLAS, "epochs": E, "train_ms": round(ms, 1), "accuracy": reports, "correct": correct, "loss": losses}))
