// Learning-rate schedules: the rate each epoch trains with, from the base rate and the planned epochs.
// fit() sets it once per epoch (every step of an epoch uses the same rate).

export type LrSchedule = "constant" | "step" | "cosine";
export const LR_SCHEDULES: readonly LrSchedule[] = ["constant", "step", "cosine"];

/**
 * The learning rate of epoch `epoch` (0-based) of `epochs`:
 *
 * - `constant`: `baseLr` throughout (the original's behaviour, bit for bit).
 * - `step`: `baseLr` for the first half of the epochs, `baseLr / 10` from the epoch half-way through
 *   (epoch ≥ epochs / 2), `baseLr / 100` from the epoch three quarters through (epoch ≥ 3 · epochs / 4).
 * - `cosine`: `baseLr · (1 + cos(π · epoch / epochs)) / 2`, from `baseLr` at epoch 0 down towards 0.
 */
export function lrAt(schedule: LrSchedule, baseLr: number, epoch: number, epochs: number): number {
  switch (schedule) {
    case "constant":
      return baseLr;
    case "step":
      return 4 * epoch >= 3 * epochs ? baseLr / 100 : 2 * epoch >= epochs ? baseLr / 10 : baseLr;
    case "cosine":
      return (baseLr * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
  }
}
