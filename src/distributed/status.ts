/** `samplify status --queue …`: job counts per state, running jobs with their progress, failed jobs with their reasons. */
import { Queue } from 'bullmq';
import type { JobProgress } from './queue.ts';
import { DEFAULT_QUEUE_NAME } from './queue.ts';
import { redactRedisUrl, redisConnection } from './redis.ts';

export interface QueueStatus {
  readonly queue: string;
  /** The server, password redacted. */
  readonly server: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly active: readonly { readonly id: string; readonly name: string; readonly attempts: number; readonly progress: JobProgress | null }[];
  readonly failed: readonly { readonly id: string; readonly name: string; readonly attempts: number; readonly reason: string }[];
}

export async function queueStatus(url: string, queueName = DEFAULT_QUEUE_NAME, limit = 50): Promise<QueueStatus> {
  const conn = redisConnection(url);
  const queue = new Queue(queueName, { connection: conn });
  queue.on('error', () => {});
  try {
    // 'waiting-children': release jobs whose shared fit has not finished yet.
    const counts = await queue.getJobCounts('waiting', 'waiting-children', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    const active = await queue.getActive(0, limit - 1);
    const failed = await queue.getFailed(0, limit - 1);
    const progressOf = (p: unknown): JobProgress | null => (p !== null && typeof p === 'object' ? (p as JobProgress) : null);
    return {
      queue: queueName,
      server: redactRedisUrl(url),
      counts,
      active: active.map((j) => ({ id: j.id ?? '', name: j.name, attempts: j.attemptsMade, progress: progressOf(j.progress) })),
      failed: failed.map((j) => ({ id: j.id ?? '', name: j.name, attempts: j.attemptsMade, reason: j.failedReason ?? 'unknown' })),
    };
  } finally {
    await queue.close();
    conn.disconnect();
  }
}

export function formatStatus(s: QueueStatus): string {
  const lines = [`queue ${s.queue} on ${s.server}: ${Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`];
  for (const a of s.active) {
    const p = a.progress;
    const step = p && typeof p.done === 'number' && typeof p.total === 'number' ? ` ${p.label ?? ''} ${p.done}/${p.total}` : '';
    lines.push(`  running ${a.name} (${a.id})${step}${p?.line ? ` — ${p.line}` : ''}`);
  }
  for (const f of s.failed) lines.push(`  failed  ${f.name} (${f.id}) after ${f.attempts} attempt(s): ${f.reason}`);
  return lines.join('\n');
}
