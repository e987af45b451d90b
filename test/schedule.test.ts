// Learning-rate schedules (src/schedule.ts): the rate of every epoch, at the edges too.

import { describe, expect, it } from "vitest";
import { lrAt, LR_SCHEDULES } from "../src/model/schedule.js";

const rates = (schedule: Parameters<typeof lrAt>[0], base: number, epochs: number) =>
  Array.from({ length: epochs }, (_, e) => lrAt(schedule, base, e, epochs));

describe("lrAt", () => {
  it("constant returns the base rate itself, every epoch", () => {
    for (const base of [0.1, 0.001, 1e-7, 3]) for (const r of rates("constant", base, 7)) expect(Object.is(r, base)).toBe(true);
  });

  it("step: the base rate for the first half, a tenth from half-way, a hundredth from three quarters", () => {
    expect(rates("step", 1, 10)).toEqual([1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01]);
    expect(rates("step", 1, 8)).toEqual([1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01]);
    expect(rates("step", 0.5, 4)).toEqual([0.5, 0.5, 0.05, 0.005]);
    // one epoch trains at the base rate; two drop once
    expect(rates("step", 0.1, 1)).toEqual([0.1]);
    expect(rates("step", 0.1, 2)).toEqual([0.1, 0.01]);
  });

  it("cosine: the base rate at epoch 0, half at half-way, decreasing, above 0 to the last epoch", () => {
    const r = rates("cosine", 0.002, 10);
    expect(r[0]).toBe(0.002);
    expect(r[5]).toBeCloseTo(0.001, 15);
    for (let e = 1; e < r.length; e++) expect(r[e]).toBeLessThan(r[e - 1]);
    expect(r[9]).toBeGreaterThan(0);
    expect(r[9]).toBeCloseTo(0.002 * (1 + Math.cos(0.9 * Math.PI)) / 2, 15);
    expect(rates("cosine", 0.1, 1)).toEqual([0.1]);
  });

  it("every schedule starts at the base rate and never exceeds it or reaches 0", () => {
    for (const s of LR_SCHEDULES) {
      for (const epochs of [1, 2, 3, 10, 1000]) {
        const r = rates(s, 0.01, epochs);
        expect(r[0], `${s} ${epochs}`).toBe(0.01);
        for (const x of r) {
          expect(x).toBeLessThanOrEqual(0.01);
          expect(x).toBeGreaterThan(0);
        }
      }
    }
  });
});
