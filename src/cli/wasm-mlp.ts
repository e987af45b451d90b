#!/usr/bin/env node
// wasm-mlp COMMAND [flags]: one command for the installed package, with the tools as subcommands (train,
// predict, evaluate, export), as git and npm have theirs. wasm-mlp-train and wasm-mlp-predict stay as they were.

import { UsageError } from "../errors.js";
import { isMain, runCli } from "./main.js";

const COMMANDS: Record<string, { about: string; run: () => Promise<(argv: string[]) => Promise<void>> }> = {
  train: { about: "train a classifier on the digits, MNIST or your CSV", run: async () => (await import("./train.js")).trainCommand },
  predict: { about: "each row's class and probabilities from a saved model", run: async () => (await import("./predict.js")).predictCommand(false) },
  evaluate: { about: "accuracy, loss, confusion matrix, precision and recall of a saved model", run: async () => (await import("./predict.js")).predictCommand(true) },
  export: { about: "a saved model as ONNX, for ONNX Runtime, PyTorch and others", run: async () => (await import("./export.js")).exportCommand },
};

export const HELP = `Usage: wasm-mlp COMMAND [flags]      (wasm-mlp COMMAND --help for a command's flags)

${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.about}`).join("\n")}
`;

/** Runs the subcommand argv[0] names with the rest of argv. */
export async function wasmMlp(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(HELP);
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}: the commands are ${Object.keys(COMMANDS).join(", ")} (see wasm-mlp --help)`);
  await (await command.run())(rest);
}

if (isMain(import.meta.url)) {
  const name = process.argv[2];
  await runCli(name && name in COMMANDS ? `wasm-mlp ${name}` : "wasm-mlp", wasmMlp);
}
