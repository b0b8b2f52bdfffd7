/**
 * Progress lines for long work. Everything goes to stderr so `--json` output on stdout stays clean.
 * A reporter can be silenced (tests) or captured (to assert what a user would see).
 */
export interface ProgressReporter {
  /** A complete line, e.g. one per epoch. */
  line(text: string): void;
}

export const stderrProgress: ProgressReporter = {
  line(text: string) {
    process.stderr.write(text + '\n');
  },
};

export const silentProgress: ProgressReporter = { line() {} };

export function collectingProgress(): ProgressReporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (t: string) => void lines.push(t) };
}

/** Cooperative cancellation: set by a SIGINT handler, checked between batches/epochs. */
export class CancelToken {
  private flag = false;
  get cancelled(): boolean {
    return this.flag;
  }
  cancel(): void {
    this.flag = true;
  }
}
