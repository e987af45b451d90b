// Regression on the page's "Your data" view, end to end in real headless Chromium (Debian's /usr/bin/chromium
// or $CHROMIUM_PATH, driven by playwright-core; nothing here downloads a browser): a table of house prices
// (made here: two number columns, a word column and the price) trains a regression model in the worker when
// the task is "regress"; the chart and stats say RMSE; the held-out rows' predicted-vs-true plot appears with
// its R²; the downloaded .onnx file, run by ONNX Runtime in Node, gives the numbers the page's predictions
// table shows, as does the .wmlp in the library; the model survives a reload in the browser's storage; a
// column of words cannot be regressed (a one-line error in #data-error). Skipped, with one line saying why,
// where no Chromium can be launched; under CI=true that is a failure instead.
//
// The page is built with vite into a temporary folder of its own, as test/e2e/data-view.test.ts does.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-web";
import type { Browser, Page } from "playwright-core";
import { readFileSync } from "node:fs";
import { MLP, loadRegressionTable, type RegressionSummary } from "../../src/index.js";
import { browserForTests } from "./chromium.js";
import { startDataPage, stopDataPage, type DataPage } from "./data-page.js";

ort.env.wasm.numThreads = 1;

const DISTRICTS = ["north", "river", "south"];
const SAVED_NAME = "houses-e2e";

/** Rows of houses: area (m²), rooms, district (a word), price = a smooth function of them plus a little noise. */
function houseRows(n: number, seed: number): { area: number; rooms: number; district: string; price: number }[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => {
    const area = Math.round(40 + 110 * rnd()), rooms = 1 + Math.floor(rnd() * 5), district = DISTRICTS[i % 3];
    const price = 30 + 2.2 * area + 12 * rooms + [0, 45, -20][i % 3] + 0.01 * (area - 90) ** 2 + 8 * (rnd() - 0.5);
    return { area, rooms, district, price: Number(price.toFixed(1)) };
  });
}

const TRAIN = houseRows(200, 3);
const TRAIN_CSV = ["area,rooms,district,price", ...TRAIN.map((r) => `${r.area},${r.rooms},${r.district},${r.price}`)].join("\n") + "\n";
// new houses to price, without the price column, inside the training data's range (the library refuses others)
const NEW = houseRows(25, 11).map((r) => ({ ...r, area: Math.min(145, Math.max(41, r.area)) }));
const NEW_CSV = ["area,rooms,district", ...NEW.map((r) => `${r.area},${r.rooms},${r.district}`)].join("\n") + "\n";

interface DataHook {
  data?: { file: string; rows: number; columns: number; label: number };
  summary?: RegressionSummary;
  model?: { name: string; layers: number[]; classNames: string[]; origin: string; task?: string };
  predictions?: string[];
  values?: number[];
  saved?: string[];
}


let browser: Browser | undefined;
let served: DataPage | undefined;
let page: Page;
const pageErrors: string[] = [];
const hook = () => page.evaluate(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData);

// launched once, while the file is collected, so that a browser that cannot run skips the tests below
const chromium = await browserForTests();
const skip = chromium.skip;


/** Predicts the new houses on the page: the values its table shows, and the unrounded ones. */
async function predictNew(p: Page): Promise<{ shown: number[]; values: number[] }> {
  await p.setInputFiles("#predict-file", { name: "new-houses.csv", mimeType: "text/csv", buffer: Buffer.from(NEW_CSV) });
  await p.waitForFunction(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData.values?.length === 25);
  await p.waitForSelector("#predict-result:not([hidden])");
  const shown = await p.$$eval("#predictions tbody tr td.predicted", (tds) => tds.map((td) => Number(td.textContent)));
  return { shown, values: (await hook()).values! };
}

/** Each value within `rel` of its counterpart (relative to the values' spread). */
function expectClose(a: number[], b: number[], rel: number): void {
  expect(a.length).toBe(b.length);
  const spread = Math.max(...b) - Math.min(...b);
  const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  expect(worst, `largest difference ${worst} over a spread of ${spread}`).toBeLessThanOrEqual(rel * spread);
}

describe.skipIf(skip)("regression on the page's \"Your data\" view in Chromium", () => {
  beforeAll(async () => {
    browser = chromium.need();
    served = await startDataPage(browser, "data-regress", pageErrors);
    page = served.page;
    await page.setInputFiles("#data-file", { name: "houses.csv", mimeType: "text/csv", buffer: Buffer.from(TRAIN_CSV) });
    await page.waitForSelector("#data-summary:not([hidden])");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopDataPage(served);
  });

  it("suggests regress for a last column of prices; to classify, the word column is the label; a column of words is not offered to regress", async () => {
    // the last column holds numbers that are not whole: the page opens the file as a regression on it
    expect(await page.inputValue("#task")).toBe("regress");
    expect(await page.inputValue("#label-column")).toBe("3");
    // to classify, the word column is the label (price is not whole numbers)
    await page.selectOption("#task", "classify");
    expect(await page.$eval("#label-column", (s: HTMLSelectElement) => s.selectedOptions[0].textContent)).toBe("district (3 classes)");
    expect(await page.$eval("#label-column option[value='3']", (o: HTMLOptionElement) => [o.disabled, o.textContent])).toEqual([true, "price: not a label (not whole numbers 0–254; choose regress to predict it)"]);
    expect(await page.isEnabled("#task option[value=regress]")).toBe(true);
    await page.selectOption("#task", "regress");
    expect(await page.inputValue("#label-column")).toBe("3");
    expect(await page.$eval("#label-column option[value='2']", (o: HTMLOptionElement) => [o.disabled, o.textContent])).toEqual([true, "district: words, not numbers: cannot be regressed (choose classify)"]);
    expect(await page.textContent("#columns tbody tr.is-label")).toContain("the number to predict");
    expect(await page.textContent("#data-network")).toBe("The network: 5 inputs → 32 → 1 value (price).");
  });

  it("a column of words as the target is a one-line error in #data-error, and nothing trains", async () => {
    // (the option is disabled; a script, or a file whose only label-like column is words, can still leave it chosen)
    await page.$eval("#label-column", (s: HTMLSelectElement) => { s.value = "2"; });
    await page.click("#data-train-button");
    await page.waitForSelector("#data-error:not([hidden])");
    expect(await page.textContent("#data-error")).toBe("Label column: \"district\" holds words (north, river, south), not numbers, so it cannot be regressed: choose a column of numbers, or classify.");
    expect(await page.isEnabled("#data-train-button")).toBe(true);
    expect((await hook()).summary).toBeUndefined();
    await page.selectOption("#label-column", "3");
  });

  it("trains in the worker with RMSE on the chart, then plots predicted against true values of the held-out rows", async () => {
    await page.click("#data-train-button");
    await page.waitForSelector("#data-final[data-r2]", { timeout: 60_000 });
    expect(await page.isHidden("#data-error")).toBe(true);
    const s = (await hook()).summary!;
    expect(s.epochs).toBe(200);
    expect(s.layers).toEqual([5, 32, 1]);
    // 20% held out by a seeded shuffle: 160 rows train, 40 test
    expect(s.samples).toBe(160);
    expect(Number.isFinite(s.test_r2)).toBe(true);
    expect(s.test_r2!).toBeGreaterThan(0.8);
    const r2 = Number(await page.getAttribute("#regression-plot", "data-r2"));
    expect(Number.isFinite(r2)).toBe(true);
    // the plot's R² (from the page's predictions of the held-out rows) is the library's held-out R²
    expect(Math.abs(r2 - s.test_r2!)).toBeLessThan(1e-3);
    expect(await page.isVisible("#regression-plot")).toBe(true);
    expect(await page.isHidden("#data-classes")).toBe(true);
    expect(await page.$$eval("#regression-plot circle", (c) => c.length)).toBe(40);
    expect(await page.$$eval("#regression-plot line.diagonal", (l) => l.length)).toBe(1);
    expect(await page.textContent("#regression-plot")).toMatch(/R² \d\.\d{3}RMSE [\d.]+MAE [\d.]+/);
    expect(await page.textContent("#data-final")).toMatch(/^Held-out: R² \d\.\d{3}, RMSE [\d.]+, MAE [\d.]+ \(40 rows the model never trained on\)/);
    expect(await page.textContent("#data-accuracy-term")).toBe("Training RMSE");
    expect(await page.textContent("#data-test-accuracy")).toMatch(/^[\d.]+$/);
    expect(await page.getAttribute("#data-chart", "aria-label")).toMatch(/the training RMSE from [\d.]+ to [\d.]+\. The held-out RMSE went from [\d.]+ to [\d.]+\.$/);
    expect((await hook()).model).toEqual({ name: "houses", layers: [5, 32, 1], classNames: ["price"], origin: "trained on houses.csv", task: "regress" });
    expect(await page.textContent("#model-summary")).toBe("The model: 5 inputs → 32 → 1 value (price), trained on houses.csv.");
  });

  it("its downloaded .onnx file gives in Node (ONNX Runtime) the numbers of the page's predictions table, as does the .wmlp", async () => {
    const [onnxDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-onnx")]);
    expect(onnxDownload.suggestedFilename()).toBe("houses.onnx");
    const onnx = readFileSync((await onnxDownload.path())!);
    const [wmlpDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-wmlp")]);
    const wmlp = readFileSync((await wmlpDownload.path())!);

    const { shown, values } = await predictNew(page);
    expect(await page.textContent("#predict-status")).toBe("new-houses.csv: 25 rows predicted.");
    expect(await page.$$eval("#predictions thead th", (ths) => ths.map((th) => th.textContent))).toEqual(["Row", "Predicted price"]);
    expectClose(shown, values, 1e-4);

    const model = await MLP.fromBytes<"regress">(wmlp);
    try {
      expect(model.task).toBe("regress");
      // the new rows encoded as the model was trained (the district one-hot), by its schema
      const d = await loadRegressionTable(Buffer.from(NEW_CSV), { schema: model.schema, labels: "optional" });
      expect(d.features).toBe(5);
      expectClose(Array.from(model.predict(d.X)), values, 1e-5);
      const session = await ort.InferenceSession.create(onnx);
      try {
        const result = await session.run({ input: new ort.Tensor("float32", d.X, [25, 5]) });
        expect(result.prediction.dims).toEqual([25, 1]);
        expectClose(Array.from(result.prediction.data as Float32Array), values, 1e-5);
      } finally {
        await session.release();
      }
    } finally {
      model.dispose();
    }
    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-predictions")]);
    expect(csvDownload.suggestedFilename()).toBe("new-houses-predictions.csv");
    const lines = readFileSync((await csvDownload.path())!, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("row,predicted price");
    expectClose(lines.slice(1).map((l) => Number(l.split(",")[1])), values, 1e-6);
  });

  it("a regression model saved in the browser's storage survives a reload and predicts the same numbers", async () => {
    const before = (await hook()).values!;
    await page.fill("#model-name", SAVED_NAME);
    await page.click("#save-model");
    await page.waitForSelector(`#saved-models li[data-name="${SAVED_NAME}"]`);
    await page.reload();
    await page.waitForSelector(`#saved-models li[data-name="${SAVED_NAME}"]`);
    await page.click(`#saved-models li[data-name="${SAVED_NAME}"] button[data-load]`);
    await page.waitForFunction(() => (window as unknown as { __wasmMlpData: DataHook }).__wasmMlpData.model?.origin === "saved in this browser");
    expect(await page.textContent("#model-summary")).toBe("The model: 5 inputs → 32 → 1 value (price), saved in this browser.");
    expect((await predictNew(page)).values).toEqual(before);
  });

  it("logged no errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
