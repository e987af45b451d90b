// Flag parsing for the command-line tools: node's parseArgs for the syntax, then one typed check per value.
// Every problem is a UsageError whose message names the flag.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(cleanParseError((e as Error).message));
  }
}

function cleanParseError(msg: string): string {
  // parseArgs messages carry hints aimed at script authors; keep the part a user needs
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown flag ${unknown[1]} (see --help)`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(msg);
  if (missing) return `${missing[1].replace(/^-\w, /, "")} needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(msg);
  if (positional) return `unexpected argument ${JSON.stringify(positional[1])} (flags start with --; see --help)`;
  return msg.split(". ")[0];
}

export function intFlag(values: Record<string, unknown>, name: string, min: number, max: number): number {
  const raw = String(values[name]);
  const v = Number(raw);
  if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v)) {
    throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(raw)}`);
  }
  if (v < min || v > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

export function numberFlag(values: Record<string, unknown>, name: string, check: (v: number) => string | undefined): number {
  const raw = String(values[name]);
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v)) throw new UsageError(`--${name} must be a finite number, got ${JSON.stringify(raw)}`);
  const problem = check(v);
  if (problem) throw new UsageError(`--${name} ${problem}, got ${v}`);
  return v;
}

export function choiceFlag<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[]): T {
  const raw = String(values[name]);
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}
