/**
 * Progress lines for long work. Everything goes to stderr so `--json` output on stdout stays clean.
 * A reporter can be silenced (tests) or captured (to assert what a user would see).
 */
export interface ProgressReporter {
  /** A complete line, e.g. one per epoch. */
  line(text: string): void;
  /**
   * Where long work stands inside a step that prints no line of its own (batches of an epoch):
   * `done` of `total` units. Optional; reporters without it ignore such updates.
   */
  step?(label: string, done: number, total: number): void;
}

/**
 * Progress to a stream: complete lines always; on a terminal (isTTY) also one bar line with ETA
 * for `step` updates (the label updated last; each label keeps its own pace for the ETA), redrawn in place at most every 200 ms and cleared before the next line. Not
 * on a terminal (a log file, a pipe) only the lines are written, so logs stay one event per line —
 * unless `stepEvents` is set (a program reads the stream: the workbench tails a child's stderr),
 * then each bar becomes step event lines instead, `{"step": label, "done", "total", "etaSeconds"}`
 * (the terminal bar's ETA, null until it has a pace), at its first update, at most once a second
 * per label, and at its end.
 */
export function streamProgress(stream: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number }, now: () => number = () => performance.now(), o: { stepEvents?: boolean } = {}): ProgressReporter {
  let barShown = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  // Per label: when its bar started and at which unit, so an outer bar (the experiment's runs) keeps
  // its ETA while an inner one (an epoch's batches) redraws in between.
  const started = new Map<string, { at: number; from: number }>();
  const lastEvent = new Map<string, number>();
  const clear = (): void => {
    if (barShown) stream.write('\r\x1b[K');
    barShown = false;
  };
  return {
    line(text: string) {
      clear();
      stream.write(text + '\n');
    },
    step(label: string, done: number, total: number) {
      const events = !stream.isTTY && o.stepEvents === true;
      if ((!stream.isTTY && !events) || total <= 0) return;
      const t = now();
      const previous = started.get(label);
      const restarted = !previous || done < previous.from;
      const start = restarted ? { at: t, from: done } : previous;
      if (restarted) started.set(label, start);
      if (done >= total) started.delete(label);
      if (events) {
        if (done >= total) lastEvent.delete(label);
        if (!restarted && done < total && t - (lastEvent.get(label) ?? Number.NEGATIVE_INFINITY) < 1000) return;
        if (done < total) lastEvent.set(label, t);
        const eta = etaSeconds(done, total, t - start.at, done - start.from);
        stream.write(`${JSON.stringify({ step: label, done, total, etaSeconds: eta === null ? null : Math.round(eta * 10) / 10 })}\n`);
        return;
      }
      if (done < total && t - lastDraw < 200) return;
      lastDraw = t;
      const bar = progressBar(label, done, total, t - start.at, done - start.from, stream.columns ?? 80);
      stream.write(`\r\x1b[K${bar}`);
      barShown = true;
      if (done >= total) clear();
    },
  };
}

/** "label [#####-----]  45 % 9/20  ETA 12 s" fitted to `columns`; the ETA from the pace since the bar started. */
export function progressBar(label: string, done: number, total: number, elapsedMs: number, doneSinceStart: number, columns = 80): string {
  const frac = Math.min(1, Math.max(0, done / total));
  const eta = etaSeconds(done, total, elapsedMs, doneSinceStart);
  const etaText = eta === null ? '' : `  ETA ${formatEta(eta)}`;
  const tail = ` ${String(Math.floor(frac * 100)).padStart(3)} % ${done}/${total}${etaText}`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  const filled = Math.round(frac * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${tail}`.slice(0, Math.max(20, columns - 1));
}

/** Seconds left at the pace since the bar started (`doneSinceStart` units in `elapsedMs`); null without a pace or when done. */
export function etaSeconds(done: number, total: number, elapsedMs: number, doneSinceStart: number): number | null {
  return doneSinceStart > 0 && done < total ? ((total - done) * elapsedMs) / doneSinceStart / 1000 : null;
}

/** "12 s", "4 min", "1.5 h". */
export function formatEta(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** Stderr; with SAMPLIFY_STEP_EVENTS=1 (set by the workbench for the runs it launches) a non-terminal stderr also carries step event lines. */
export const stderrProgress: ProgressReporter = streamProgress(process.stderr, undefined, { stepEvents: process.env['SAMPLIFY_STEP_EVENTS'] === '1' });

/**
 * Progress as JSON lines for scripts (`--json` on long-running commands such as `samplify worker`):
 * one object per line on `stream` — what `describe` makes of each progress line (default
 * `{"text": …}`) — and `{"step": label, "done", "total"}` at most once a second per label and
 * at its end.
 */
export function jsonLinesProgress(stream: Pick<NodeJS.WriteStream, 'write'>, describe: (text: string) => Record<string, unknown> = (text) => ({ text }), now: () => number = () => performance.now()): ProgressReporter {
  const lastStep = new Map<string, number>();
  return {
    line(text: string) {
      stream.write(`${JSON.stringify(describe(text))}\n`);
    },
    step(label: string, done: number, total: number) {
      const t = now();
      if (done < total && t - (lastStep.get(label) ?? Number.NEGATIVE_INFINITY) < 1000) return;
      lastStep.set(label, t);
      stream.write(`${JSON.stringify({ step: label, done, total })}\n`);
    },
  };
}

export const silentProgress: ProgressReporter = { line() {} };

export function collectingProgress(): ProgressReporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (t: string) => void lines.push(t) };
}

/** Cooperative cancellation: set by a SIGINT handler, checked between batches/epochs. */
export class CancelToken {
  private flag = false;
  private readonly listeners = new Set<() => void>();
  get cancelled(): boolean {
    return this.flag;
  }
  cancel(): void {
    if (this.flag) return;
    this.flag = true;
    for (const fn of [...this.listeners]) fn();
  }
  /** Calls `fn` once when cancelled (at once if already); returns the unsubscribe. For waits that cannot poll, e.g. an AbortSignal of HTTP requests. */
  onCancel(fn: () => void): () => void {
    if (this.flag) {
      fn();
      return () => {};
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
