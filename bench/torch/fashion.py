# Copied from /work/shared/anchors/torch_fashion.py (the PyTorch program the project races on Fashion-MNIST) so that
# `npm run bench -- --vs-torch` can run it from the repository; unchanged below this note.
"""The program to race (issue on speed at real size): PyTorch (Debian python3-torch, CPU) trains an MLP on Fashion-MNIST (Debian dataset-fashion-mnist).
usage: torch_fashion.py [--hidden 256,128] [--epochs 10] [--batch 128] [--lr 1e-3] [--threads 1] [--train-n 60000]
Prints one JSON line: per-epoch train seconds, total train_ms (the epoch loop alone), test accuracy."""
import argparse, gzip, json, time
import numpy as np, torch

D = "/usr/share/datasets/fashion-mnist"
def idx(path):
    with gzip.open(path, "rb") as f: b = f.read()
    nd = b[3]; dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)

ap = argparse.ArgumentParser()
ap.add_argument("--hidden", default="256,128"); ap.add_argument("--epochs", type=int, default=10)
ap.add_argument("--batch", type=int, default=128); ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--threads", type=int, default=1); ap.add_argument("--train-n", type=int, default=60000)
ap.add_argument("--seed", type=int, default=42)
a = ap.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
Xtr = torch.from_numpy(idx(f"{D}/train-images-idx3-ubyte.gz").reshape(-1, 784)[: a.train_n].astype(np.float32) / 255)
ytr = torch.from_numpy(idx(f"{D}/train-labels-idx1-ubyte.gz")[: a.train_n].astype(np.int64))
Xte = torch.from_numpy(idx(f"{D}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
yte = torch.from_numpy(idx(f"{D}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
sizes = [784] + [int(h) for h in a.hidden.split(",")] + [10]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2: layers.append(torch.nn.ReLU())
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=a.lr)
lossf = torch.nn.CrossEntropyLoss()
g = torch.Generator().manual_seed(a.seed)
epoch_s = []
t0 = time.perf_counter()
for e in range(a.epochs):
    te = time.perf_counter()
    perm = torch.randperm(len(Xtr), generator=g)
    for i in range(0, len(Xtr), a.batch):
        idxs = perm[i: i + a.batch]
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(Xtr[idxs]), ytr[idxs])
        loss.backward(); opt.step()
    epoch_s.append(time.perf_counter() - te)
train_ms = 1000 * (time.perf_counter() - t0)
with torch.no_grad(): acc = (net(Xte).argmax(1) == yte).float().mean().item()
print(json.dumps({"impl": "torch", "version": torch.__version__, "threads": a.threads, "sizes": sizes, "batch": a.batch,
                  "epochs": a.epochs, "train_ms": round(train_ms, 1), "epoch_s": [round(s, 3) for s in epoch_s], "test_accuracy": round(acc, 4)}))
