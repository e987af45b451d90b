// Runs a thread's share of a command: a training step in one call of the module's train_step (assembly/step.ts),
// or, when the kernels are wrapped (the TypeScript twins, or timed call by call), the same step described in
// TypeScript (step.ts), kernel call by kernel call; and forward passes, which are one kernel call a layer.
//
// train_step reads a descriptor: where every tensor of the network is, its sizes, the activation's flags and
// the optimiser, written once into the arena by the thread that creates the network. Its word offsets come
// from the AssemblyScript (StepAbi, generated), so the two sides cannot disagree.

import { KERNEL_FUNCTIONS, StepAbi } from "./kernel-api.js";
import type { Arena, Tensor } from "./arena.js";
import type { KernelExports } from "./kernels.js";
import { Kind, Cmd, type CommandBlock, type Commands } from "./commands.js";
import type { OptimizerKind } from "./optimizers.js";
import { ACTIVATION_TABLE } from "./activations.js";
import { threadSlot, type NetworkShape, type NetworkTensors } from "./plan.js";
import { forwardPass, trainStep, type StepContext } from "./step.js";

/** Each thread's share of the commands of one network. */
export class StepRunner {
  /** What the TypeScript step and the forward pass run on (the module's kernels unwrapped, or the wrapped ones). */
  private readonly ctx: StepContext;
  /** train_step, or undefined when the kernels are wrapped (then the TypeScript step calls them one by one). */
  private readonly step: ((desc: number, t: number, T: number) => void) | undefined;
  private readonly desc: Tensor | undefined;

  /** `fresh`: this thread made the network (and writes its descriptor); `wrap`: kernels in place of the module's. */
  constructor(private readonly arena: Arena, private readonly t: NetworkTensors, shape: Required<NetworkShape>, private readonly commands: Commands, fresh: boolean, wrap?: (raw: KernelExports, memory: WebAssembly.Memory) => KernelExports) {
    this.ctx = {
      // unwrapped kernels (the trap-naming wrapper would box float arguments every call); Commands catches
      // traps and names the kernel instead (run() names train_step's)
      k: wrap ? wrap(arena.raw, arena.memory) : arena.raw,
      net: t,
      inputs: shape.layers[0],
      classes: shape.layers[shape.layers.length - 1],
      sliceRows: shape.sliceRows,
      optimizer: shape.optimizer,
      act: ACTIVATION_TABLE[shape.activation],
      dropout: shape.dropout,
      seed: shape.seed,
      loss: shape.loss,
      barrier: () => commands.barrier(),
    };
    this.desc = t.step;
    this.step = wrap || !this.desc ? undefined : arena.raw.train_step;
    if (fresh && this.desc) writeDescriptor(arena, this.desc, t, shape, commands.block);
  }

  /** Thread `thread` of `threads` runs its share of the command in the block. */
  run(thread: number, threads: number): void {
    const c = this.commands.cmd, kind = c[Cmd.Kind];
    if (kind === Kind.Forward) forwardPass(this.ctx, c, thread, threads);
    else if (kind !== Kind.Step) return;
    else if (this.step === undefined) trainStep(this.ctx, c, this.commands.arg, thread, threads);
    else {
      try {
        this.step(this.desc!.ptr, thread, threads);
      } catch (e) {
        // the trap's stack names train_step (its kernels may be inlined): name the kernel it was in (-1,
        // none: train_step itself)
        const kernel = this.arena.viewI32(this.desc!)[threadSlot(this.t.layers.length, thread) + StepAbi.T_KERNEL];
        throw this.arena.explainTrap(e, KERNEL_FUNCTIONS[kernel] ?? "train_step");
      }
    }
  }
}

/** Loads of a barrier's word before a thread waiting inside train_step sleeps on it (wasm loads, 0.4-1 ns each here). */
export const STEP_SPIN = 20000;

/** Writes the descriptor of the network `t` (of this shape, its commands at `block`) into the tensor `at`. */
function writeDescriptor(arena: Arena, at: Tensor, t: NetworkTensors, shape: Required<NetworkShape>, block: CommandBlock): void {
  const w = arena.viewI32(at), D = StepAbi, act = ACTIVATION_TABLE[shape.activation], tr = t.training;
  if (!tr) return;
  const L = t.layers.length;
  w[D.D_LAYERS] = L;
  w[D.D_INPUTS] = shape.layers[0];
  w[D.D_CLASSES] = shape.layers[shape.layers.length - 1];
  w[D.D_SLICE] = shape.sliceRows;
  w[D.D_OPTIMIZER] = OPTIMIZER_CODE[shape.optimizer];
  w[D.D_ACT] = act.forward;
  w[D.D_GATE] = act.gate;
  w[D.D_GATE_Z] = act.gateReads === "Z" ? 1 : 0;
  w[D.D_SEED] = shape.seed;
  w[D.D_LOSS] = shape.loss === "mse" ? D.LOSS_MSE : D.LOSS_XENT;
  w[D.D_P] = t.P.ptr;
  w[D.D_ROW_LOSS] = t.rowLoss.ptr;
  w[D.D_ROW_CORRECT] = t.rowCorrect.ptr;
  w[D.D_SYNC] = block.sync;
  w[D.D_CMD] = block.cmd;
  w[D.D_ARG] = block.arg;
  w[D.D_XT] = tr.set.X.ptr;
  w[D.D_YT] = tr.set.Y.ptr;
  w[D.D_XB] = tr.batch?.X.ptr ?? 0;
  w[D.D_YB] = tr.batch?.Y.ptr ?? 0;
  w[D.D_ORDER] = tr.batch?.order.ptr ?? 0;
  w[D.D_SPIN] = STEP_SPIN;
  new Float64Array(arena.memory.buffer, at.ptr + 4 * D.D_DROPOUT, 1)[0] = shape.dropout;
  tr.layers.forEach((l, i) => {
    const o = D.D_HEADER + i * D.L_WORDS;
    w[o + D.L_FAN_IN] = l.fanIn;
    w[o + D.L_FAN_OUT] = l.fanOut;
    w[o + D.L_LDA] = l.ldA;
    w[o + D.L_W] = l.W.ptr;
    w[o + D.L_A] = l.A.ptr;
    w[o + D.L_G] = l.G.ptr;
    w[o + D.L_DW] = l.dW.ptr;
    w[o + D.L_Z] = l.Z?.ptr ?? 0;
    w[o + D.L_S0] = l.state[0]?.ptr ?? 0;
    w[o + D.L_S1] = l.state[1]?.ptr ?? 0;
  });
  t.scratch.forEach((s, i) => (w[threadSlot(L, i) + D.T_SCRATCH] = s.ptr));
}

/** The optimiser's number in the descriptor. */
const OPTIMIZER_CODE: Readonly<Record<OptimizerKind, number>> = { sgd: StepAbi.OPT_SGD, momentum: StepAbi.OPT_MOMENTUM, adam: StepAbi.OPT_ADAM };
