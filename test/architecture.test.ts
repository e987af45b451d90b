// The house's rules, read from the sources: which room (folder of src/) may import which, no import cycles
// (type imports and dynamic imports included), and the sizes the step and the classes are held to.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

const files = walk(src);
/** file (relative to src/) -> the files it imports (relative to src/), static, type-only and dynamic alike */
const graph = new Map<string, string[]>();
for (const f of files) {
  const text = readFileSync(f, "utf8");
  const deps = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.\.?\/[^"']+)["']/g)]
    .map((m) => resolve(dirname(f), m[1]).replace(/\.js$/, ".ts"))
    .filter((p) => p.startsWith(src + "/"))
    .map((p) => relative(src, p));
  graph.set(relative(src, f), deps);
}

/** The room a file lives in: its folder under src/, or "top" for src/index.ts and what every room shares. */
const room = (f: string) => (f.includes("/") ? f.split("/")[0] : "top");

/** What each room may not import. */
const FORBIDDEN: Record<string, string[]> = {
  engine: ["model", "data", "cli"],
  data: ["engine", "model", "cli"],
  model: ["cli"],
};

describe("the house", () => {
  it("src/ has only the rooms and, at the top, the public entry and what every room shares", () => {
    const rooms = new Set(files.map((f) => room(relative(src, f))));
    expect([...rooms].sort()).toEqual(["cli", "data", "engine", "model", "top"]);
    const top = files.map((f) => relative(src, f)).filter((f) => room(f) === "top").sort();
    expect(top).toEqual(["bytes.ts", "checks.ts", "errors.ts", "index.ts"]);
  });

  it("no room imports one it must not, and what every room shares imports no room", () => {
    const broken: string[] = [];
    for (const [f, deps] of graph) {
      const from = room(f);
      for (const d of deps) {
        const to = room(d);
        const forbidden = from === "top" && f !== "index.ts" ? to !== "top" : (FORBIDDEN[from] ?? []).includes(to);
        if (forbidden) broken.push(`${f} -> ${d}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("has no import cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      path.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === "open") cycles.push([...path.slice(path.indexOf(d)), d].join(" -> "));
        else if (!state.has(d)) visit(d);
      }
      path.pop();
      state.set(f, "done");
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("the test oracle and the bench's twins are not in src/ (so not in the package)", () => {
    expect(files.filter((f) => f.includes("/reference/"))).toEqual([]);
  });
});

/** Every class and function of src/ with its length in lines, longest first. */
async function sizes(): Promise<{ kind: string; name: string; lines: number }[]> {
  const ts = (await import("typescript")).default;
  const out: { kind: string; name: string; lines: number }[] = [];
  for (const f of files) {
    const sf = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
    const lines = (n: import("typescript").Node) => sf.getLineAndCharacterOfPosition(n.getEnd()).line - sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    const at = (n: import("typescript").Node) => `${relative(src, f)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
    const visit = (n: import("typescript").Node): void => {
      if (ts.isClassDeclaration(n)) out.push({ kind: "class", name: `${n.name?.text} (${at(n)})`, lines: lines(n) });
      else if (ts.isFunctionLike(n) && "body" in n && n.body) out.push({ kind: "function", name: `${(n.name as { text?: string } | undefined)?.text ?? "(anonymous)"} (${at(n)})`, lines: lines(n) });
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

describe("sizes", () => {
  it("no class over 300 lines, no function over 60", async () => {
    const all = await sizes();
    const over = all.filter((s) => s.lines > (s.kind === "class" ? 300 : 60)).map((s) => `${s.kind} ${s.name}: ${s.lines} lines`);
    expect(over).toEqual([]);
  });
});
