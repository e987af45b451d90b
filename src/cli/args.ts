// Flag parsing for the command-line tools: node's parseArgs for the syntax, then one typed check per value.
// Every problem is a UsageError whose message names the flag.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  // parseArgs refuses `--lr -1` as ambiguous; a negative number after a flag that takes a value is that
  // value, so pass it on (as --lr=-1) and let the flag's own check say what is wrong with it
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    if (name && options[name]?.type === "string" && /^-(\d|\.\d|Infinity|inf|nan)/i.test(argv[i + 1] ?? "")) {
      args.push(`${argv[i]}=${argv[++i]}`);
    } else args.push(argv[i]);
  }
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(cleanParseError((e as Error).message));
  }
}

function cleanParseError(msg: string): string {
  // parseArgs messages carry hints aimed at script authors; keep the part a user needs
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown flag ${unknown[1]} (see --help)`;
  const missing = /Option '([^']+?)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(msg);
  if (missing) return `${missing[1].replace(/^-\w, /, "")} needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(msg);
  if (positional) return `unexpected argument ${JSON.stringify(positional[1])} (flags start with --; see --help)`;
  return msg.split(/\.\s/)[0];
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
