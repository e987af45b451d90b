// The train command's Final line says how many threads the fit ran on, and, when it chose its own count
// and ran epochs on one thread because the machine was busy, how many.

import { describe, expect, it } from "vitest";
import { summaryLines } from "../src/cli/format.js";
import type { FitSummary } from "../src/model/types.js";
import type { TrainCliConfig } from "../src/cli/train-flags.js";

const cfg = { model: "mlp", json: false } as unknown as TrainCliConfig;
const summary = (extra: Partial<FitSummary>): FitSummary => ({
  epochs: 1000, train_ms: 410, epochs_per_s: 2439, kernels: "relaxed", threads: 2, layers: [64, 32, 10], samples: 1797,
  accuracy: 0.997, loss: 0.0315, history: [], ...extra,
}) as FitSummary;

describe("the Final line's threads", () => {
  it("is the count alone when no epoch ran on one thread for a busy machine", () => {
    expect(summaryLines(cfg, summary({}), { testRows: undefined, loadMs: 2 })[0]).toMatch(/\| threads: 2$/);
  });

  it("says how many epochs ran on one thread when the machine was busy", () => {
    expect(summaryLines(cfg, summary({ busy_epochs: 761 }), { testRows: undefined, loadMs: 2 })[0]).toMatch(/\| threads: 2 \(one for 761 of 1000 epochs: the machine was busy\)$/);
  });

  it("counts this run's epochs when it continued a checkpoint", () => {
    const line = summaryLines(cfg, summary({ epochs: 1500, resumed_from: 1000, busy_epochs: 200 }), { testRows: undefined, loadMs: 2 })[0];
    expect(line).toMatch(/500 epochs \(1500 in all\) in .* \| threads: 2 \(one for 200 of 500 epochs: the machine was busy\)$/);
  });
});
