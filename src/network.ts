// A dense ReLU network with a softmax output, trained full batch on data that lives in one arena.
// Every tensor is placed once at construction; forward, backward and update are fixed sequences of kernel
// calls on fixed pointers, so an epoch allocates nothing and copies nothing.

import { Arena, Layout, type Tensor } from "./arena.js";
import type { CompiledKernels, KernelExports } from "./kernels.js";
import type { Params } from "./init.js";

interface Layer {
  readonly fanIn: number;
  readonly fanOut: number;
  /** The layer's input activations: X for the first layer, the previous layer's A otherwise. */
  readonly input: Tensor;
  readonly W: Tensor;
  readonly b: Tensor;
  /** Output: ReLU activations for hidden layers, logits for the last. */
  readonly A: Tensor;
  /** Gradient of the loss with respect to this layer's pre-activation output. */
  readonly G: Tensor;
  readonly dW: Tensor;
  readonly db: Tensor;
}

export interface Stats {
  /** Rows whose predicted class is the true one. */
  correct: number;
  /** Mean cross-entropy. */
  loss: number;
}

export class Network {
  readonly arena: Arena;
  readonly n: number;
  readonly layers: readonly number[];
  private readonly k: KernelExports;
  private readonly L: Layer[] = [];
  private readonly X: Tensor;
  private readonly Y: Tensor;
  private readonly P: Tensor;

  /** X: n × layers[0] standardised inputs; Y: n × classes one-hot targets. */
  constructor(kernels: CompiledKernels, layers: readonly number[], X: Float32Array, Y: Float32Array, n: number) {
    if (layers.length < 2) throw new Error("a network needs an input and an output layer");
    const layout = new Layout();
    const classes = layers[layers.length - 1];
    this.X = layout.add("X", n, layers[0]);
    this.Y = layout.add("Y", n, classes);
    let input = this.X;
    const specs: Omit<Layer, "fanIn" | "fanOut">[] = [];
    for (let l = 1; l < layers.length; l++) {
      const s = {
        input,
        W: layout.add(`W${l}`, layers[l - 1], layers[l]),
        b: layout.add(`b${l}`, layers[l]),
        A: layout.add(`A${l}`, n, layers[l]),
        G: layout.add(`G${l}`, n, layers[l]),
        dW: layout.add(`dW${l}`, layers[l - 1], layers[l]),
        db: layout.add(`db${l}`, layers[l]),
      };
      specs.push(s);
      input = s.A;
    }
    this.P = layout.add("P", n, classes);
    this.arena = new Arena(kernels, layout);
    this.k = this.arena.k;
    this.n = n;
    this.layers = [...layers];
    specs.forEach((s, i) => this.L.push({ ...s, fanIn: layers[i], fanOut: layers[i + 1] }));
    this.arena.write(this.X, X);
    this.arena.write(this.Y, Y);
  }

  setParams(p: Params): void {
    this.L.forEach((layer, i) => {
      this.arena.write(layer.W, p.W[i]);
      this.arena.write(layer.b, p.b[i]);
    });
  }

  /** A copy of the current parameters. */
  getParams(): Params {
    return {
      layers: [...this.layers],
      W: this.L.map((l) => this.arena.view(l.W).slice()),
      b: this.L.map((l) => this.arena.view(l.b).slice()),
    };
  }

  /** Hidden layers: A = relu(input·W + b). Last layer: logits A = input·W + b, then P = softmax(A). */
  forward(): void {
    const k = this.k, n = this.n, L = this.L, last = L.length - 1;
    for (let i = 0; i <= last; i++) {
      const l = L[i];
      k.gemm_nn(l.input.ptr, l.W.ptr, l.A.ptr, n, l.fanIn, l.fanOut);
      k.bias_add(l.A.ptr, l.b.ptr, n, l.fanOut);
      if (i < last) k.relu_forward(l.A.ptr, l.A.ptr, n * l.fanOut);
    }
    k.softmax_rows(L[last].A.ptr, this.P.ptr, n, L[last].fanOut);
  }

  /** Loss and accuracy of the latest forward pass. */
  stats(): Stats {
    const k = this.k, n = this.n, out = this.L[this.L.length - 1];
    return {
      correct: k.count_correct(this.P.ptr, this.Y.ptr, n, out.fanOut),
      loss: k.xent_loss(out.A.ptr, this.Y.ptr, n, out.fanOut) / n,
    };
  }

  /** Back-propagates from the latest forward pass and applies one SGD step, layer by layer from the top. */
  backwardAndUpdate(lr: number): void {
    const k = this.k, n = this.n, L = this.L;
    const out = L[L.length - 1];
    k.softmax_xent_backward(this.P.ptr, this.Y.ptr, out.G.ptr, n, out.fanOut);
    for (let i = L.length - 1; i >= 0; i--) {
      const l = L[i];
      k.gemm_tn(l.input.ptr, l.G.ptr, l.dW.ptr, l.fanIn, n, l.fanOut);
      k.colsum(l.G.ptr, l.db.ptr, n, l.fanOut);
      if (i > 0) {
        // the delta for the layer below uses this layer's weights before they are updated
        const below = L[i - 1];
        k.gemm_nt(l.G.ptr, l.W.ptr, below.G.ptr, n, l.fanOut, l.fanIn);
        k.relu_backward(below.G.ptr, below.A.ptr, below.G.ptr, n * l.fanIn);
      }
      k.sgd(l.W.ptr, l.dW.ptr, l.fanIn * l.fanOut, lr);
      k.sgd(l.b.ptr, l.db.ptr, l.fanOut, lr);
    }
  }

  /** Live views, for tests and inspection. */
  view(name: string): Float32Array {
    return this.arena.view(this.arena.layout.get(name));
  }
}
