// Ctrl+C during training. The first SIGINT aborts `signal`: fitAsync stops after the current epoch and the
// CLI still prints its summary and writes --save and --plot from the weights reached, then exits 130. A
// second SIGINT exits at once (130), first removing the temporary file of any save in progress, so neither
// a half-written file nor a stray temporary one is left (the destination is only ever replaced by a rename).

import { removeUnfinishedWrites } from "./files.js";

export const INTERRUPT_EXIT = 130;

export class Interrupt {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  /** Prints the notice of the first interrupt; stderr unless set (e.g. to print above a progress bar). */
  say: (line: string) => void = (line) => void process.stderr.write(line + "\n");
  private readonly onSigint = () => {
    if (this.signal.aborted) {
      removeUnfinishedWrites();
      process.exit(INTERRUPT_EXIT);
    }
    this.controller.abort();
    this.say("train: interrupted; stopping after the current epoch and keeping the weights reached (Ctrl+C again quits at once, saving nothing)");
  };

  constructor() {
    process.on("SIGINT", this.onSigint);
  }

  get interrupted(): boolean {
    return this.signal.aborted;
  }

  dispose(): void {
    process.off("SIGINT", this.onSigint);
  }
}
