// Run-time checks of what library callers pass. TypeScript's types are gone at run time and a JavaScript
// caller never had them, so every public function checks its options against one declarative table
// (option name -> rule) and its arguments with the same rules: an unknown key or a bad value is a
// UsageError naming the function, the option, the value and what is allowed.

import { UsageError } from "./errors.js";

export interface Rule {
  /** What the option takes, as the message says it: `"sgd", "momentum" or "adam"`, `an integer from 1`. */
  readonly allowed: string;
  readonly test: (value: unknown) => boolean;
  /** The option must be given (and not undefined). */
  readonly required?: boolean;
}

export type Table = Readonly<Record<string, Rule>>;

export const rule = (allowed: string, test: (value: unknown) => boolean): Rule => ({ allowed, test });

export const required = (r: Rule): Rule => ({ ...r, required: true });

export function oneOf<T extends string>(values: readonly T[]): Rule {
  return rule(orList(values.map((v) => JSON.stringify(v))), (v) => (values as readonly unknown[]).includes(v));
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Rule {
  const allowed = max === Number.MAX_SAFE_INTEGER ? `an integer from ${min}` : `an integer from ${min} to ${max}`;
  return rule(allowed, (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
}

/** A finite number for which `ok` holds. */
export const number = (allowed: string, ok: (x: number) => boolean): Rule =>
  rule(allowed, (v) => typeof v === "number" && Number.isFinite(v) && ok(v));

export const func = rule("a function", (v) => typeof v === "function");
export const text = rule("a string", (v) => typeof v === "string");

/** Checks `options` against `table` and returns them (an absent options object is `{}`). */
export function checkOptions<T extends object>(fn: string, options: unknown, table: Table): T {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new UsageError(`${fn}: the options must be an object, got ${show(options)}`);
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(table, key)) throw unknownOption(fn, key, Object.keys(table));
    if (given[key] !== undefined) checkValue(fn, key, given[key], table[key]);
  }
  for (const [key, r] of Object.entries(table)) {
    if (r.required && given[key] === undefined) throw new UsageError(`${fn}: ${key} is required: ${r.allowed}`);
  }
  return given as T;
}

/** Checks one value (an option or an argument) against its rule. */
export function checkValue(fn: string, name: string, value: unknown, r: Rule): void {
  if (!r.test(value)) throw new UsageError(`${fn}: ${name} must be ${r.allowed}, got ${show(value)}`);
}

function unknownOption(fn: string, key: string, known: string[]): UsageError {
  const near = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
  const hint = near ? `; did you mean ${JSON.stringify(near)}?` : "";
  return new UsageError(`${fn}: unknown option ${JSON.stringify(key)}${hint} (the options are ${known.join(", ")})`);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** `"a", "b" or "c"` */
export function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** A value as an error message shows it: short, and never the whole of a large array. */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" || v == null) return String(v);
  if (typeof v === "function") return "a function";
  if (typeof v === "symbol") return v.toString();
  if (Array.isArray(v)) return v.length <= 8 ? `[${v.map(show).join(", ")}]` : `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(v as object);
    return keys.length ? `{ ${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""} }` : "{}";
  }
  return `a ${proto?.constructor?.name || "object"}`;
}
