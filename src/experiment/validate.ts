import { loadDataset, withReadProgress, type DataFormat, type LoadOptions } from '../data/index.ts';
import type { ProgressReporter } from '../core/index.ts';
import { rejectionSummary } from './read-summary.ts';

/** Reads a file with full row accounting and summarises what was kept and why rows were rejected. */
export async function validateData(path: string, format: DataFormat, load: LoadOptions = {}, progress?: ProgressReporter): Promise<{ text: string; report: unknown; users: number; items: number }> {
  const read = () => loadDataset(path, format, load);
  const { dataset, report } = await (progress ? withReadProgress(progress, read) : read());
  const text = [
    `${report.file}: ${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`,
    ...rejectionSummary(report),
    `${dataset.userIds.length} users, ${dataset.numItems} items`,
  ].join('\n');
  return { text, report, users: dataset.userIds.length, items: dataset.numItems };
}
