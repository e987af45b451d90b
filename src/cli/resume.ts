// --checkpoint and --resume: a run's checkpoints written in the background while it trains (the newest waiting
// while the one before is written), and the run a checkpoint holds continued with the flags it was started with.

import { decodeCheckpoint, MAX_CHECKPOINT_BYTES, type Checkpoint } from "../model/checkpoint.js";
import type { MLP } from "../model/mlp.js";
import type { Task } from "../model/types.js";
import { readBytes } from "../bytes.js";
import { ModelFileError, UsageError } from "../errors.js";
import { flagTokens } from "./train-flags.js";
import { writeFileAtomic } from "./files.js";

/** A checkpoint file: its bytes (for MLP.fromCheckpoint) and what it holds. */
export async function readCheckpointFile(path: string): Promise<{ bytes: Uint8Array; checkpoint: Checkpoint }> {
  const bytes = await readBytes(path, (m) => new ModelFileError(m), MAX_CHECKPOINT_BYTES, "checkpoints");
  return { bytes, checkpoint: decodeCheckpoint(bytes, path) };
}

/** The flags of a resumed run: the checkpoint's, less those given now (and --resume), then those given now. */
export function resumedFlags(stored: readonly string[], given: string[]): string[] {
  const now = flagTokens(given).filter((t) => t.name !== "resume"), names = new Set(now.map((t) => t.name));
  const kept = flagTokens([...stored]).filter((t) => !names.has(t.name) && t.name !== "resume");
  return [...kept, ...now].flatMap((t) => t.args);
}

/** What makes a model, as the flags of a run would make it and as a checkpoint's model was made. */
export interface ModelMaking {
  layers: readonly number[];
  seed: number;
  activation: string;
  normalize: string | undefined;
  task: Task;
}

/** Refuses flags that would make another model than the checkpoint's: a resumed run keeps it. */
export function checkSameModel(path: string, model: MLP<Task>, flags: ModelMaking): void {
  const has: ModelMaking = { layers: model.layers, seed: model.seed, activation: model.activation, normalize: model.normalization?.kind, task: model.task };
  const show = (m: ModelMaking) => `${m.task === "regress" ? "regression " : ""}${m.layers.join("-")} ${m.activation}, seed ${m.seed}, ${m.normalize ?? "no"} standardisation`;
  if (show(has) !== show(flags)) throw new UsageError(`--resume ${path}: its model is ${show(has)}; these flags make ${show(flags)} (drop the flags that differ: a resumed run repeats the checkpoint's)`);
}

/** Writes a run's checkpoints to `path`, each atomically and one at a time; a newer one waiting replaces an older. */
export class CheckpointWriter {
  private waiting: Uint8Array | undefined;
  private running: Promise<void> | undefined;
  private failed: unknown;

  constructor(private readonly path: string) {}

  /** Takes a checkpoint (FitOptions.checkpoint's write): written once the one before is. */
  readonly write = (bytes: Uint8Array): void => {
    this.waiting = bytes;
    this.running ??= this.drain();
  };

  private async drain(): Promise<void> {
    try {
      for (let b = this.waiting; b; b = this.waiting) {
        this.waiting = undefined;
        await writeFileAtomic(this.path, b);
      }
    } catch (e) {
      this.failed ??= e;
      this.waiting = undefined;
    } finally {
      this.running = undefined;
    }
  }

  /** Resolves once every checkpoint taken is written; throws what a write threw. */
  async done(): Promise<void> {
    while (this.running) await this.running;
    if (this.failed) throw this.failed;
  }
}
