/**
 * Per-step wall-clock seconds of a report. Reports include them only on request (`includeTimings`),
 * since timings would make two identical runs' reports differ.
 */
export function stepTimer(): { seconds: Record<string, number>; timed: <T>(key: string, f: () => T) => T } {
  const seconds: Record<string, number> = {};
  return {
    seconds,
    timed: <T>(key: string, f: () => T): T => {
      const t0 = performance.now();
      const r = f();
      seconds[key] = (performance.now() - t0) / 1000;
      return r;
    },
  };
}
