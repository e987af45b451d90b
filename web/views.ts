// The page's two views: the digits (main.ts, shown by default) and "Your data" (data-view.ts, at #your-data).
// The address says which one shows, so a reload or a bookmark comes back to it; the data view's code is
// loaded the first time it is opened.

import { byId } from "./dom.ts";

const DATA_HASH = "#your-data";
const TITLES = { digits: document.title, data: "wasm-mlp: train a neural network on your own data" };

const digits = [byId("digits-header"), byId("main")];
const data = [byId("data-header"), byId("your-data")];
const links = { digits: byId("digits-view"), data: byId("data-view") };
const skip = document.querySelector<HTMLAnchorElement>("a.skip")!;

let started: Promise<unknown> | undefined;
let current: "digits" | "data" | undefined;

function route(): void {
  const view = location.hash === DATA_HASH ? "data" : "digits";
  if (view === current) return;
  const first = current === undefined;
  current = view;
  for (const el of digits) el.hidden = view !== "digits";
  for (const el of data) el.hidden = view !== "data";
  for (const [name, link] of Object.entries(links)) {
    if (name === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  skip.href = view === "data" ? DATA_HASH : "#main";
  document.title = TITLES[view];
  if (view === "data") {
    started ??= import("./data-view.ts").then((m) => m.start());
    document.body.dataset.view = "data";
  } else {
    delete document.body.dataset.view;
  }
  // switching views starts at the top of the new one (the hash would scroll to the view's element)
  if (!first) window.scrollTo(0, 0);
}

addEventListener("hashchange", route);
route();
