// How the page puts numbers and outcomes into words; one place, so the live progress and the final
// summary read the same.

import type { FitSummary, KernelBuild } from "../src/index.ts";

export const BUILD_NAMES: Record<KernelBuild, string> = { relaxed: "relaxed SIMD", simd: "SIMD", scalar: "scalar" };

export const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

/** "a 7", "an 8" */
export const aDigit = (d: number) => `${d === 8 ? "an" : "a"} ${d}`;

export const epochsPerSecond = (rate: number) => `${Math.round(rate).toLocaleString("en")} epochs/s`;

/** The status line once a run has ended, whether it ran its course or was stopped. */
export function runOutcome(summary: FitSummary, planned: number): string {
  const seconds = (summary.train_ms / 1000).toFixed(2), build = BUILD_NAMES[summary.kernels];
  return summary.interrupted
    ? `Stopped after ${summary.epochs} of ${planned} epochs (${seconds} s on the ${build} kernels); the model below has the weights it reached, training accuracy ${pct(summary.accuracy)}.`
    : `Done: ${summary.epochs} epochs in ${seconds} s on the ${build} kernels; training accuracy ${pct(summary.accuracy)}.`;
}

export function finalAccuracy(summary: FitSummary): string {
  return `Final training accuracy: ${pct(summary.accuracy)} (${Math.round(summary.accuracy * summary.samples)} of ${summary.samples} digits), loss ${summary.loss.toFixed(4)}.`;
}

/** One item of "Most common mistakes"; undefined for the item that says there are none. */
export function mistakeText(m: { truth: number; predicted: number; count: number } | undefined): string {
  return m ? `${aDigit(m.truth)} read as ${m.predicted}: ${m.count} ${m.count === 1 ? "time" : "times"}` : "none: every training digit is read right";
}
