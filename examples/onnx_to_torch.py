"""Continue training, in PyTorch, a model trained by wasm-mlp and exported with `wasm-mlp export`.

usage: python3 examples/onnx_to_torch.py MODEL.onnx DATA.csv[.gz] [--expect PROBS.csv] [--epochs 1] [--out MODEL.pt]

Reads the ONNX file's weights (onnx.numpy_helper) into a torch.nn.Sequential: the standardisation (in
float64, as wasm-mlp does), then per layer a Linear (weight = W transposed: the ONNX Gemm's B is
[fan_in, fan_out]) and the hidden activation between layers (ReLU, LeakyReLU, Tanh, Sigmoid or GELU, read
from the graph's nodes). DATA.csv holds rows of raw inputs and the class label last
(the digits' data/digits.csv.gz is one). With --expect, the class probabilities the model gave for those
rows (one row of probabilities per line, e.g. from wasm-mlp's predictProba or ONNX Runtime) are checked
against PyTorch's. Then it trains --epochs more epochs (Adam, lr 1e-3, batch 64, cross-entropy) and saves
the state dict with --out. Prints one JSON line. Needs Debian's python3-torch and python3-onnx.
"""
import argparse
import json

import numpy as np
import onnx
import torch
from onnx import numpy_helper


class Standardize(torch.nn.Module):
    """(x - mean) / divisor computed in float64 and rounded to float32: wasm-mlp's standardisation, bit for bit."""

    def __init__(self, mean, divisor):
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(mean.astype(np.float64)))
        self.register_buffer("divisor", torch.from_numpy(divisor.astype(np.float64)))

    def forward(self, x):
        return ((x.double() - self.mean) / self.divisor).float()


def load(path):
    """The Sequential an exported wasm-mlp ONNX file describes."""
    model = onnx.load(path)
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    layers = []
    if "mean" in weights:
        layers.append(Standardize(weights["mean"], weights["divisor"]))
    count = sum(1 for name in weights if name.startswith("W"))
    ops = {n.op_type for n in model.graph.node}
    if any(n.name.startswith("gelu") for n in model.graph.node):
        activation = lambda: torch.nn.GELU(approximate="tanh")
    elif "LeakyRelu" in ops:
        activation = lambda: torch.nn.LeakyReLU(0.01)
    elif "Tanh" in ops:
        activation = torch.nn.Tanh
    elif "Sigmoid" in ops and count > 1:
        activation = torch.nn.Sigmoid
    else:
        activation = torch.nn.ReLU
    for k in range(1, count + 1):
        W, b = weights[f"W{k}"], weights[f"b{k}"]
        linear = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(linear)
        if k < count:
            layers.append(activation())
    meta = {p.key: p.value for p in model.metadata_props}
    return torch.nn.Sequential(*layers), meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--expect")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.manual_seed(0)
    net, meta = load(a.model)
    rows = np.loadtxt(a.data, delimiter=",", dtype=np.float64, ndmin=2)
    X = torch.from_numpy(rows[:, :-1].astype(np.float32))
    y = torch.from_numpy(rows[:, -1].astype(np.int64))
    report = {"layers": meta.get("layers"), "rows": len(X)}

    def scores():
        with torch.no_grad():
            logits = net(X)
            return torch.softmax(logits, 1), torch.nn.functional.cross_entropy(logits, y).item()

    probs, report["loss_before"] = scores()
    report["accuracy_before"] = (probs.argmax(1) == y).float().mean().item()
    if a.expect:
        want = torch.from_numpy(np.loadtxt(a.expect, delimiter=",", dtype=np.float32, ndmin=2))
        report["max_abs_diff"] = (probs - want).abs().max().item()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(a.epochs):
        perm = torch.randperm(len(X))
        for i in range(0, len(X), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[idx]), y[idx]).backward()
            opt.step()
    probs, report["loss_after"] = scores()
    report["accuracy_after"] = (probs.argmax(1) == y).float().mean().item()
    if a.out:
        torch.save(net.state_dict(), a.out)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
