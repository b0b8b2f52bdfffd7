/** A worker thread of expandImageFolder: receives one task at a time, answers with its manifest rows or skip. */
import { parentPort, workerData } from 'node:worker_threads';
import { isSamplifyError } from '../../core/errors.ts';
import { buildImagePipeline } from './family.ts';
import { expandOne, type ExpandJobConfig, type ExpandTask } from './expand.ts';

const job = workerData as ExpandJobConfig;
const pipeline = buildImagePipeline(job.spec);
const port = parentPort!;
port.on('message', (m: { task?: ExpandTask; stop?: boolean }) => {
  if (m.stop || !m.task) {
    port.close();
    return;
  }
  expandOne(m.task, job, pipeline).then(
    (r) => port.postMessage(r),
    (e: unknown) => port.postMessage({ error: isSamplifyError(e) ? e.describe() : `${m.task!.source}: ${(e as Error)?.message ?? String(e)}` }),
  );
});
