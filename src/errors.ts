// Typed errors for things a user got wrong. The CLI prints their message as one line and exits non-zero;
// anything else is a bug and keeps its stack trace.
//
// Each class sets its name on its prototype, as the built-in errors do, from a string literal: a minifier
// renames classes (`class a extends Error`), so `new.target.name` would print "a: ..." in a production bundle.

export class WasmMlpError extends Error {}
WasmMlpError.prototype.name = "WasmMlpError";

/** A data file that cannot be read or does not hold what it should. The message names the file and line. */
export class DataError extends WasmMlpError {}
DataError.prototype.name = "DataError";

/** An invalid flag, option or argument. */
export class UsageError extends WasmMlpError {}
UsageError.prototype.name = "UsageError";

/** A model file that is not one of ours, is damaged, or does not fit the data. */
export class ModelFileError extends WasmMlpError {}
ModelFileError.prototype.name = "ModelFileError";

/** Training stopped because the loss stopped being a finite number. */
export class DivergenceError extends WasmMlpError {}
DivergenceError.prototype.name = "DivergenceError";
