// --busy: what `--threads auto` does for a fit when another program holds a core. Whole CLI runs (their
// --json summary's train_ms, and the epochs the fit ran on one thread), each in rounds of auto, one thread
// and all threads (the order turning each round, as the machine drifts within minutes), first on the machine
// as it is, then beside busy processes: plain Node loops, one fewer than the cores, so that the fit's own
// threads share what is left with one of them. The result per row is the median over rounds of auto's
// time over the faster fixed count's in the same round: about 1 when auto found the faster count.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { machine, type Machine } from "./machine.js";
import { lastJson, TRAIN } from "./spawned.js";
import type { Settings } from "./plan.js";
import { median } from "./sample.js";
import { num, renderTable, type Column } from "./table.js";

interface Workload {
  id: string;
  name: string;
  /** The CLI's flags besides --json and --threads. */
  flags: string[];
}

const WORKLOADS: readonly Workload[] = [
  { id: "digits", name: "the default run (digits, 1000 epochs)", flags: [] },
  { id: "mnist", name: "MNIST 784-128-10, Adam, batch 64, 20 epochs", flags: ["--dataset", "mnist", "--hidden", "128", "--batch", "64", "--optimizer", "adam", "--epochs", "20"] },
];

export const COUNTS = ["auto", "1", "all"] as const;
export type Count = (typeof COUNTS)[number];

export interface Run {
  workload: string;
  busy: number;
  round: number;
  threads: Count;
  train_ms: number;
  /** Epochs the fit ran on one thread (auto only), and the most threads an epoch ran on. */
  busy_epochs: number;
  ran_on: number;
}

/** Busy loops in processes of their own (not threads of this one: the load is another program's). */
function startBusy(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ["-e", "for (;;);"], { stdio: "ignore" }));
}

function stopBusy(ps: ChildProcess[]): void {
  for (const p of ps) p.kill("SIGKILL");
}

function runOnce(w: Workload, busy: number, round: number, threads: Count, cores: number): Run {
  const asked = threads === "all" ? String(cores) : threads;
  const j = lastJson(`node train.js ${w.flags.join(" ")} --threads ${asked}`, spawnSync(process.execPath, [TRAIN, ...w.flags, "--json", "--threads", asked], { encoding: "utf8", maxBuffer: 64 << 20 }));
  return { workload: w.id, busy, round, threads, train_ms: Number(j.train_ms), busy_epochs: Number(j.busy_epochs ?? 0), ran_on: Number(j.threads) };
}

/** Rounds of the three counts of one workload beside `busy` busy processes. */
function rounds(w: Workload, busy: number, n: number, cores: number, progress: (m: string) => void): Run[] {
  const out: Run[] = [], loops = startBusy(busy);
  try {
    for (let r = 0; r < n; r++) {
      const order = COUNTS.map((_, i) => COUNTS[(i + r) % COUNTS.length]);
      for (const t of order) out.push(runOnce(w, busy, r, t, cores));
      progress(`${w.id} beside ${busy} busy: round ${r + 1}/${n}: ${out.slice(-3).map((x) => `${x.threads} ${x.train_ms.toFixed(0)} ms`).join(", ")}`);
    }
  } finally {
    stopBusy(loops);
  }
  return out;
}

const range = (xs: number[], digits = 0) => (Math.min(...xs) === Math.max(...xs) ? num(xs[0], digits) : `${num(Math.min(...xs), digits)}-${num(Math.max(...xs), digits)}`);

/** Per round: auto's time over the faster of one thread and all threads. */
export function autoOverBest(runs: Run[]): number[] {
  const byRound = new Map<number, Run[]>();
  for (const r of runs) byRound.set(r.round, [...(byRound.get(r.round) ?? []), r]);
  return [...byRound.values()].map((rs) => {
    const ms = (t: Count) => rs.find((r) => r.threads === t)!.train_ms;
    return ms("auto") / Math.min(ms("1"), ms("all"));
  });
}

function text(groups: { w: Workload; busy: number; runs: Run[] }[], n: number, cores: number, m: Machine): string {
  const rows = groups.map(({ w, busy, runs }) => {
    const of = (t: Count) => runs.filter((r) => r.threads === t);
    const auto = of("auto"), ratios = autoOverBest(runs);
    return [
      w.name, busy === 0 ? "nothing" : `${busy} busy process${busy > 1 ? "es" : ""}`,
      `${range(auto.map((r) => r.train_ms))} (${range(auto.map((r) => r.busy_epochs))})`,
      range(of("1").map((r) => r.train_ms)), range(of("all").map((r) => r.train_ms)),
      num(median(ratios), 2), ratios.map((x) => x.toFixed(2)).join(" "),
    ];
  });
  const cols: Column[] = [
    { header: "run", align: "left" }, { header: "beside", align: "left" }, { header: "auto ms (epochs on 1)", align: "left" },
    { header: "1 thread ms", align: "left" }, { header: `${cores} threads ms`, align: "left" }, { header: "auto / best" }, { header: "per round", align: "left" },
  ];
  return [
    `wasm-mlp --threads auto on a busy machine · ${m.date.replace("T", " ").replace(/\.\d+Z$/, " UTC")}`,
    `machine: ${m.cpu} · ${m.cores} cores · Node ${m.node} · load average at start ${m.loadavg.join(" ")}`,
    `method: ${n} round${n > 1 ? "s" : ""} of the CLI with --threads auto, 1 and ${cores} (order turning each round), its train_ms and busy_epochs; ` +
      `busy processes are \`node -e "for (;;);"\`; auto / best = auto's time over the faster fixed count's in the same round, median over rounds`,
    "",
    renderTable(cols, rows),
  ].join("\n") + "\n";
}

/** Runs the workloads the filter selects, quiet and beside cores - 1 busy processes; prints a table (or JSON). Exit code. */
export function runBusy(s: Settings): number {
  const progress = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const cores = availableParallelism();
  if (cores < 2) {
    process.stdout.write(`busy: skipped: one core here, so a fit has one thread whatever it is asked\n`);
    return 0;
  }
  const chosen = WORKLOADS.filter((w) => !s.filter || s.filter.test(w.id));
  if (!chosen.length) {
    process.stderr.write(`--filter ${s.filterText} matches no workload (${WORKLOADS.map((w) => w.id).join(", ")})\n`);
    return 2;
  }
  const start = machine();
  const groups = chosen.flatMap((w) => [0, cores - 1].map((busy) => ({ w, busy, runs: rounds(w, busy, s.pairs, cores, progress) })));
  if (!s.json) {
    process.stdout.write(text(groups, s.pairs, cores, start));
    return 0;
  }
  const rowsJson = groups.map(({ w, busy, runs }) => {
    const ratios = autoOverBest(runs);
    return { workload: w.id, name: w.name, flags: w.flags, busy, runs, auto_over_best: ratios, median: median(ratios) };
  });
  process.stdout.write(JSON.stringify({ mode: "busy", machine: start, rounds: s.pairs, cores, rows: rowsJson }, null, 1) + "\n");
  return 0;
}
