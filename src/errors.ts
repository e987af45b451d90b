// Typed errors for things a user got wrong. The CLI prints their message as one line and exits non-zero;
// anything else is a bug and keeps its stack trace.

export class WasmMlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A data file that cannot be read or does not hold what it should. The message names the file and line. */
export class DataError extends WasmMlpError {}

/** An invalid flag, option or argument. */
export class UsageError extends WasmMlpError {}

/** A model file that is not one of ours, is damaged, or does not fit the data. */
export class ModelFileError extends WasmMlpError {}

/** Training stopped because the loss stopped being a finite number. */
export class DivergenceError extends WasmMlpError {}
