// The page's "Your data" view end to end in real headless Chromium (Debian's /usr/bin/chromium or
// $CHROMIUM_PATH, driven by playwright-core; nothing here downloads a browser): an Iris-like CSV with a header
// and word labels (made here) shows its columns and trains in the worker; its downloaded ONNX file, run by
// ONNX Runtime in Node, predicts the same classes as the page's predictions table; a model saved in the
// browser's storage survives a reload and loads again; a bad CSV shows the library's one-line error; a
// 60,000-row file is read without freezing the page. Skipped, with one line saying why, where no Chromium can
// be launched; under CI=true that is a failure instead.
//
// The page is built with vite into a temporary folder of its own (about a second), not dist/web, which
// test/e2e/browser.test.ts may be building at the same time.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-web";
import type { Browser, Page } from "playwright-core";
import { readFileSync } from "node:fs";
import { MLP, UsageError, listModels, loadModelBytes, removeModel, saveModelBytes, type FitSummary } from "../../src/index.js";
import { browserForTests } from "./chromium.js";
import { openView, startDataPage, stopDataPage, watchErrors, type DataPage } from "./data-page.js";

ort.env.wasm.numThreads = 1;

const SPECIES = ["setosa", "versicolor", "virginica"];
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const SAVED_NAME = "iris-e2e";

/** Rows like Iris's: four measurements around each species' means, from a seeded generator. */
function irisRows(n: number, seed: number): { x: number[]; species: string }[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const means = [[5.0, 3.4, 1.5, 0.25], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];
  return Array.from({ length: n }, (_, i) => ({ x: means[i % 3].map((m) => Number((m + 0.3 * gauss()).toFixed(1))), species: SPECIES[i % 3] }));
}

const TRAIN_ROWS = irisRows(150, 1);
const TRAIN_CSV = [[...FEATURES, "species"].join(","), ...TRAIN_ROWS.map((r) => [...r.x, r.species].join(","))].join("\n") + "\n";
// new rows to predict, without the label column, inside the training data's range (the library refuses others)
const lo = Math.min(...TRAIN_ROWS.flatMap((r) => r.x)), hi = Math.max(...TRAIN_ROWS.flatMap((r) => r.x));
const NEW_ROWS = irisRows(30, 7).map((r) => r.x.map((v) => Math.min(hi, Math.max(lo, v))));
const NEW_CSV = [FEATURES.join(","), ...NEW_ROWS.map((x) => x.join(","))].join("\n") + "\n";

interface DataHook {
  data?: { file: string; rows: number; columns: number; label: number };
  summary?: FitSummary;
  model?: { name: string; layers: number[]; classNames: string[]; origin: string };
  predictions?: string[];
  saved?: string[];
}


let browser: Browser | undefined;
let served: DataPage | undefined;
let page: Page;
const pageErrors: string[] = [];
const hook = (p: Page = page) => p.evaluate(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData);

// launched once, while the file is collected, so that a browser that cannot run skips the tests below
const chromium = await browserForTests();
const skip = chromium.skip;



/**
 * Chooses a file made in the page (as a user's choice reaches the input: a File in its FileList, then a
 * "change" event), recording from then until `done` is in the page the longest gap between animation frames
 * and the longest task the page's thread ran (Chromium's long tasks: 50 ms or more); resolves with both and
 * how long it took. (Playwright's setInputFiles would hand the page the bytes inside a long task of its own,
 * which is not the page's doing.)
 */
function chooseInPage(p: Page, input: string, name: string, text: string, done: string): Promise<{ gap: number; task: number; ms: number }> {
  return p.evaluate(([input, name, text, done]) => new Promise<{ gap: number; task: number; ms: number }>((resolve) => {
    const el = document.querySelector<HTMLInputElement>(input)!;
    const files = new DataTransfer();
    files.items.add(new File([text], name, { type: "text/csv" }));
    let task = 0;
    const tasks = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) task = Math.max(task, e.duration);
    });
    tasks.observe({ type: "longtask" });
    requestAnimationFrame((start) => {
      let last = start, gap = 0;
      const tick = (now: number) => {
        gap = Math.max(gap, now - last);
        last = now;
        if (document.querySelector(done)) {
          // entries of the tasks just before this frame may still be queued
          setTimeout(() => {
            for (const e of tasks.takeRecords()) task = Math.max(task, e.duration);
            tasks.disconnect();
            resolve({ gap, task, ms: now - start });
          }, 0);
        } else requestAnimationFrame(tick);
      };
      el.files = files.files;
      el.dispatchEvent(new Event("change", { bubbles: true }));
      requestAnimationFrame(tick);
    });
  }), [input, name, text, done] as const);
}

/** The class names in the predictions table, row by row. */
const tablePredictions = (p: Page) => p.$$eval("#predictions tbody tr", (rows) => rows.map((r) => r.querySelector("td.predicted")!.textContent!));

async function predictNewRows(p: Page): Promise<string[]> {
  await p.setInputFiles("#predict-file", { name: "new.csv", mimeType: "text/csv", buffer: Buffer.from(NEW_CSV) });
  await p.waitForFunction(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData.predictions?.length === 30);
  await p.waitForSelector("#predict-result:not([hidden])");
  return tablePredictions(p);
}

describe("model storage outside a browser", () => {
  it("refuses with a UsageError where there is no IndexedDB (Node), and checks names first", async () => {
    for (const call of [() => saveModelBytes("m", new Uint8Array([1])), () => loadModelBytes("m"), () => listModels(), () => removeModel("m")]) {
      await expect(call()).rejects.toThrow(UsageError);
      await expect(call()).rejects.toThrow(/there is no IndexedDB here/);
    }
    await expect(loadModelBytes("")).rejects.toThrow(/^loadModelBytes: the name must be a string of 1 to 200 characters/);
    await expect(saveModelBytes("m", "bytes" as unknown as Uint8Array)).rejects.toThrow(/saveModelBytes: the bytes must be a Uint8Array or an ArrayBuffer/);
  });
});

describe.skipIf(skip)("the page's \"Your data\" view in Chromium", () => {
  beforeAll(async () => {
    browser = chromium.need();
    served = await startDataPage(browser, "data-view", pageErrors);
    page = served.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopDataPage(served);
  });

  it("reads a CSV with a header and word labels: its columns with their kinds, and the row count", async () => {
    await page.setInputFiles("#data-file", { name: "iris.csv", mimeType: "text/csv", buffer: Buffer.from(TRAIN_CSV) });
    await page.waitForSelector("#data-summary:not([hidden])");
    expect(await page.getAttribute("#data-rows", "data-rows")).toBe("150");
    expect(await page.textContent("#data-rows")).toBe("iris.csv: 150 rows × 5 columns (the first line names the columns).");
    const columns = await page.$$eval("#columns tbody tr", (rows) => rows.map((r) => [r.querySelector("th")!.textContent, (r as HTMLElement).dataset.kind]));
    expect(columns).toEqual([...FEATURES.map((f) => [f, "number"]), ["species", "label"]]);
    expect(await page.textContent("#columns tbody tr.is-label")).toContain("3 classes: setosa, versicolor, virginica");
    // the label is the word column, the task is classification (regression is offered: test/e2e/data-regress.test.ts)
    expect(await page.$eval("#label-column", (s: HTMLSelectElement) => s.selectedOptions[0].textContent)).toBe("species (3 classes)");
    expect(await page.inputValue("#task")).toBe("classify");
    expect(await page.$eval("#task option[value=regress]", (o: HTMLOptionElement) => [o.disabled, o.textContent])).toEqual([false, "regress"]);
    // defaults for a small table
    expect([await page.inputValue("#data-hidden"), await page.inputValue("#data-optimizer"), await page.inputValue("#data-lr"),
      await page.inputValue("#data-epochs"), await page.inputValue("#data-batch"), await page.inputValue("#data-holdout")]).toEqual(["32", "adam", "0.01", "200", "32", "0.2"]);
    expect(await page.textContent("#data-network")).toBe("The network: 4 inputs → 32 → 3 classes.");
  });

  it("trains in the worker with live held-out curves, then shows the held-out confusion matrix with the class names", async () => {
    await page.click("#data-train-button");
    await page.waitForSelector("#data-final[data-accuracy]", { timeout: 40_000 });
    const h = await hook();
    const s = h.summary!;
    expect(s.epochs).toBe(200);
    expect(s.layers).toEqual([4, 32, 3]);
    // 20% of each class held out: 120 rows train, 30 test
    expect(s.samples).toBe(120);
    expect(s.test_accuracy).toBeGreaterThanOrEqual(0.85);
    expect(Number(await page.getAttribute("#data-final", "data-accuracy"))).toBe(s.test_accuracy);
    expect(await page.textContent("#data-final")).toMatch(/^Held-out accuracy: \d+\.\d% \(\d+ of 30 rows the model never trained on\)/);
    expect(await page.getAttribute("#data-chart", "aria-label")).toMatch(/over epochs 0 to 200, .* The held-out accuracy went from [\d.]+% to [\d.]+%\.$/);
    expect(await page.textContent("#data-rate")).toMatch(/^[\d,.]+ epochs\/s \([\d,]+ rows\/s\)$/);
    expect(await page.textContent("#data-threads-used")).toMatch(/^\d+$/);
    // the note says the held-out loss rose (overfitting) exactly when it ended half as high again as its lowest
    const held = s.history.filter((r) => r.test_loss !== undefined);
    const best = held.reduce((a, r) => (r.test_loss! < a.test_loss! ? r : a)), last = held[held.length - 1];
    const note = (await page.textContent("#data-result-note"))!;
    if (best !== last && last.test_loss! > 1.5 * best.test_loss!) expect(note).toContain(`The held-out loss was lowest at epoch ${best.epoch} (`);
    else expect(note).not.toContain("overfitting");

    const head = await page.$$eval("#data-confusion thead th", (ths) => ths.slice(1).map((th) => th.textContent));
    expect(head).toEqual(SPECIES);
    const cells = await page.$$eval("#data-confusion tbody tr", (rows) => rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => Number(td.textContent))));
    expect(cells.flat().reduce((a, b) => a + b, 0)).toBe(30);
    expect(cells.reduce((a, row, i) => a + row[i], 0) / 30).toBe(s.test_accuracy);
    expect(cells).toEqual(s.confusion);
    expect(h.model).toEqual({ name: "iris", layers: [4, 32, 3], classNames: SPECIES, origin: "trained on iris.csv" });
  });

  it("its downloaded ONNX file predicts in Node (ONNX Runtime) the same classes as the page's predictions table", async () => {
    const [onnxDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-onnx")]);
    expect(onnxDownload.suggestedFilename()).toBe("iris.onnx");
    const onnx = readFileSync((await onnxDownload.path())!);
    const [wmlpDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-wmlp")]);
    expect(wmlpDownload.suggestedFilename()).toBe("iris.wmlp");
    const wmlp = readFileSync((await wmlpDownload.path())!);

    const shown = await predictNewRows(page);
    expect(shown.length).toBe(30);
    expect(await page.textContent("#predict-status")).toBe("new.csv: 30 rows predicted.");

    const X = Float32Array.from(NEW_ROWS.flat());
    const session = await ort.InferenceSession.create(onnx);
    try {
      const result = await session.run({ input: new ort.Tensor("float32", X, [30, 4]) });
      const labels = Array.from(result.label.data as BigInt64Array, (k) => SPECIES[Number(k)]);
      expect(labels).toEqual(shown);
    } finally {
      await session.release();
    }
    // the .wmlp file too, in the library, names the same classes
    const model = await MLP.fromBytes(wmlp);
    try {
      expect(model.classNames).toEqual(SPECIES);
      expect(Array.from(model.predict(X), (k) => SPECIES[k])).toEqual(shown);
    } finally {
      model.dispose();
    }
    // the CSV download holds the same predictions
    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-predictions")]);
    expect(csvDownload.suggestedFilename()).toBe("new-predictions.csv");
    const lines = readFileSync((await csvDownload.path())!, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("row,prediction,probability,p(setosa),p(versicolor),p(virginica)");
    expect(lines.slice(1).map((l) => l.split(",")[1])).toEqual(shown);
  });

  it("a model saved in the browser's storage survives a reload and loads again", async () => {
    const before = await tablePredictions(page);
    await page.fill("#model-name", SAVED_NAME);
    await page.click("#save-model");
    await page.waitForSelector(`#saved-models li[data-name="${SAVED_NAME}"]`);
    expect(await page.textContent(`#saved-models li[data-name="${SAVED_NAME}"]`)).toMatch(/iris-e2e\d+(\.\d)? (B|KB), saved /);

    await page.reload();
    // the address keeps the view
    await page.waitForSelector("#your-data:not([hidden])");
    await page.waitForSelector(`#saved-models li[data-name="${SAVED_NAME}"]`);
    expect((await hook()).saved).toEqual([SAVED_NAME]);
    expect(await page.isDisabled("#predict-file")).toBe(true);
    await page.click(`#saved-models li[data-name="${SAVED_NAME}"] button[data-load]`);
    await page.waitForFunction(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData.model?.origin === "saved in this browser");
    expect(await page.textContent("#model-summary")).toBe("The model: 4 inputs → 32 → 3 classes (setosa, versicolor, virginica), saved in this browser.");
    expect(await page.inputValue("#model-name")).toBe(SAVED_NAME);
    expect(await predictNewRows(page)).toEqual(before);
  });

  it("a model removed in another tab is a one-line error when loaded, and the list catches up", async () => {
    const other = watchErrors(await served!.context.newPage(), pageErrors);
    try {
      await openView(other, served!.base);
      await other.waitForSelector(`#saved-models li[data-name="${SAVED_NAME}"]`);
      await other.click(`#saved-models li[data-name="${SAVED_NAME}"] button[data-remove]`);
      await other.waitForSelector("#saved-models li.empty");
      expect(await other.textContent("#keep-status")).toBe(`Removed “${SAVED_NAME}” from this browser.`);
    } finally {
      await other.close();
    }
    // this page's list is stale: Load names what is missing
    await page.click(`#saved-models li[data-name="${SAVED_NAME}"] button[data-load]`);
    await page.waitForSelector("#data-error:not([hidden])");
    expect(await page.textContent("#data-error")).toBe(`loadModelBytes: no model named "${SAVED_NAME}" in this browser's storage`);
    await page.waitForSelector("#saved-models li.empty");
  });

  it("a bad CSV (ragged rows) shows the library's one-line error in #data-error", async () => {
    await page.setInputFiles("#data-file", { name: "ragged.csv", mimeType: "text/csv", buffer: Buffer.from("a,b,label\n1,2,x\n3,4\n5,6,y\n") });
    await page.waitForSelector("#data-error:not([hidden])");
    expect(await page.textContent("#data-error")).toBe("ragged.csv:3: expected 3 fields (as on line 1), found 2");
    expect(await page.isVisible("#data-error")).toBe(true);
    expect(await page.isHidden("#data-summary")).toBe(true);
    expect(await page.isDisabled("#data-train-button")).toBe(true);
  });

  it("reads a 60,000-row file in the worker while the page keeps drawing frames", async () => {
    const rows = 60_000, width = 60, lines = [[...Array.from({ length: width }, (_, i) => `x${i + 1}`), "class"].join(",")];
    let s = 12345;
    for (let r = 0; r < rows; r++) {
      const x = Array.from({ length: width }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 10000) / 100);
      lines.push(`${x.join(",")},${["low", "mid", "high"][r % 3]}`);
    }
    const csv = lines.join("\n") + "\n";
    const { gap, task, ms } = await chooseInPage(page, "#data-file", "big.csv", csv, "#data-summary:not([hidden])");
    expect(await page.getAttribute("#data-rows", "data-rows")).toBe(String(rows));
    expect(await page.textContent("#data-rows")).toBe("big.csv: 60,000 rows × 61 columns (the first line names the columns).");
    expect(await page.isHidden("#data-error")).toBe(true);
    // defaults for a larger table
    expect([await page.inputValue("#data-epochs"), await page.inputValue("#data-batch"), await page.inputValue("#data-lr")]).toEqual(["10", "128", "0.001"]);
    // parsing on the page's thread would hold it for most of the read: one long task. In the worker the
    // page's thread stays free. A busy machine (a CI run) delays frames by themselves (266 ms was seen), so
    // a long gap between frames is a freeze only when the page's own thread ran long
    const what = `while a ${(csv.length / 2 ** 20).toFixed(1)} MiB file was read in ${ms.toFixed(0)} ms: longest frame gap ${gap.toFixed(0)} ms`;
    expect(task, `longest task on the page's thread ${what}`).toBeLessThan(Math.max(100, ms / 2));
  });

  it("Stop ends a run after the current epoch and keeps the weights reached, ready to take away", async () => {
    await page.fill("#data-epochs", "100000");
    await page.click("#data-train-button");
    await page.waitForFunction(() => /^([2-9]|\d{2,}) of 100,000$/.test(document.getElementById("data-epoch")!.textContent ?? ""), undefined, { timeout: 30_000 });
    expect(await page.isEnabled("#data-stop-button")).toBe(true);
    expect(await page.isDisabled("#data-train-button")).toBe(true);
    await page.click("#data-stop-button");
    await page.waitForFunction(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData.summary?.interrupted === true, undefined, { timeout: 30_000 });
    const h = await hook();
    const n = h.summary!.epochs;
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThan(100_000);
    expect(await page.textContent("#data-train-status")).toMatch(new RegExp(`^Stopped after ${n.toLocaleString("en")} of 100,000 epochs \\([\\d.]+ s\\); the model has the weights it reached\\.$`));
    expect(await page.textContent("#data-epoch")).toBe(`${n.toLocaleString("en")} of 100,000`);
    expect(await page.isEnabled("#data-train-button")).toBe(true);
    expect(h.model).toEqual({ name: "big", layers: [60, 32, 3], classNames: ["high", "low", "mid"], origin: "trained on big.csv" });
    expect(await page.isEnabled("#download-onnx")).toBe(true);
    expect(await page.isEnabled("#save-model")).toBe(true);
  });

  it("logged no errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
