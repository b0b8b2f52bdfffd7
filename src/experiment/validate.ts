import { loadDataset, type DataFormat, type LoadOptions } from '../data/index.ts';

/** Reads a file with full row accounting and summarises what was kept and why rows were rejected. */
export async function validateData(path: string, format: DataFormat, load: LoadOptions = {}): Promise<{ text: string; report: unknown; users: number; items: number }> {
  const { dataset, report } = await loadDataset(path, format, load);
  const reasons = Object.entries(report.rejectedByCode).map(([k, n]) => `  ${k}: ${n}`);
  const text = [
    `${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`,
    ...(reasons.length ? ['rejected by reason:', ...reasons] : []),
    ...(report.sample.slice(0, 5).map((r) => `  e.g. line ${r.line}, field '${r.field}': ${r.reason}`)),
    ...(report.rejectedFile ? [`rejected rows written to ${report.rejectedFile}`] : []),
    `${dataset.userIds.length} users, ${dataset.numItems} items`,
  ].join('\n');
  return { text, report, users: dataset.userIds.length, items: dataset.numItems };
}
