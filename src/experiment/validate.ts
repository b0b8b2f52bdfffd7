import { loadDataset, type DataFormat, type LoadOptions } from '../data/index.ts';
import { rejectionSummary } from './read-summary.ts';

/** Reads a file with full row accounting and summarises what was kept and why rows were rejected. */
export async function validateData(path: string, format: DataFormat, load: LoadOptions = {}): Promise<{ text: string; report: unknown; users: number; items: number }> {
  const { dataset, report } = await loadDataset(path, format, load);
  const text = [
    `${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`,
    ...rejectionSummary(report),
    `${dataset.userIds.length} users, ${dataset.numItems} items`,
  ].join('\n');
  return { text, report, users: dataset.userIds.length, items: dataset.numItems };
}
