/**
 * What every command that reads data says about rejected rows: counts per reason code (most
 * frequent first) with one example per code, and where the rejected rows are — or how to keep
 * them. A read that drops rows is never silent about why.
 */
import type { ProgressReporter } from '../core/index.ts';
import type { ReadReport } from '../data/index.ts';

/** "code: n, code: n", most frequent first (ties by code), or '' when nothing was rejected. */
export function rejectionCounts(report: ReadReport): string {
  return Object.entries(report.rejectedByCode)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
}

/** The per-reason summary of a read's rejected rows; no lines when none were rejected. */
export function rejectionSummary(report: ReadReport): string[] {
  if (report.rowsRejected === 0) return [];
  const codes = Object.entries(report.rejectedByCode).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const examples = codes.flatMap(([code]) => {
    const r = report.sample.find((x) => x.code === code);
    return r ? [`  e.g. ${code}: line ${r.line}, field '${r.field}': ${r.reason}`] : [];
  });
  return [
    `${report.rowsRejected} of ${report.rowsIn} rows rejected, by reason:`,
    ...codes.map(([code, n]) => `  ${code}: ${n}`),
    ...examples,
    ...(report.rejectedByCode['invalid-utf8'] ? ['invalid-utf8 rows usually mean the file is in another text encoding (latin-1): the csv/tsv/jsonl readers take encoding latin1'] : []),
    report.rejectedFile ? `rejected rows written to ${report.rejectedFile}` : 'rejected rows were not kept; --rejected <file> (data.rejected in a config) writes them with line, field and reason',
  ];
}

/** Prints rejectionSummary(report) line by line (nothing when no row was rejected). */
export function reportRejections(report: ReadReport, progress: ProgressReporter): void {
  for (const line of rejectionSummary(report)) progress.line(line);
}
