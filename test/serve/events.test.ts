/**
 * The progress stream of a run (`GET /runs/<name>/events`, server-sent events) without a browser:
 * one `progress` event per line of progress.log with epoch, loss, validation metric and ETA parsed
 * out (a step event line becomes a step), each with the byte offset after its line as its id; then
 * the run's status and `end`. A reconnecting client that sends `Last-Event-ID` gets only the lines
 * after it — also when a line holds a multi-byte character.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createWorkbenchApp } from '../../src/serve/index.ts';
import { tempFolder } from '../temp-folders.ts';

interface Sse {
  event: string;
  id: string | null;
  data: Record<string, unknown>;
}

function parseSse(text: string): Sse[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const field = (name: string): string | null => block.split('\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? null;
      return { event: field('event') ?? 'message', id: field('id'), data: JSON.parse(field('data') ?? 'null') as Record<string, unknown> };
    });
}

const LINES = [
  'read tiny.txt: 400 rows in = 400 kept + 0 rejected',
  'epoch   1/5 loss 8.1191 NDCG@20 0.0006 HR@20 0.0025 * train 1.3s total 1.4s',
  '1 epoch took 1.5 s; the remaining 4 take up to ~6 s (early stopping may end sooner)',
  '{"step":"experiment: runs","done":1,"total":2,"etaSeconds":7.5}',
  'arm «crop» — 2 epochs left',
  'epoch   2/5 loss 8.1113 NDCG@20 0.0012 HR@20 0.0050 * train 1.0s total 1.1s',
];

describe('the progress stream of a run', () => {
  const runs = tempFolder('wb-events-');
  const dir = join(runs, 'done');
  mkdirSync(dir);
  writeFileSync(join(dir, 'progress.log'), LINES.join('\n') + '\n');
  writeFileSync(join(dir, 'job.json'), JSON.stringify({ kind: 'experiment', command: ['experiment'], pid: null, status: 'finished', exitCode: 0, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), attempts: 1 }));
  const app = createWorkbenchApp({ runs });

  it('sends each line parsed, with its byte offset as id, then the status and the end', async () => {
    const res = await app.request('/runs/done/events');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = parseSse(await res.text());
    const progress = events.filter((e) => e.event === 'progress');
    assert.deepEqual(
      progress.map((e) => e.data['text']),
      LINES,
    );
    // The id is where the next line starts, in bytes of the log (the « » and — take 2 and 3 bytes).
    let offset = 0;
    progress.forEach((e, i) => {
      offset += Buffer.byteLength(LINES[i]!) + 1;
      assert.equal(e.id, String(offset), `id of line ${i + 1}`);
    });
    assert.deepEqual(progress[1]!.data, { text: LINES[1], epoch: 1, epochs: 5, loss: 8.1191, metric: 'NDCG@20', value: 0.0006 });
    assert.equal(progress[2]!.data['eta'], '6 s');
    assert.deepEqual(progress[3]!.data, { text: LINES[3], step: 'experiment: runs', done: 1, total: 2, etaSeconds: 7.5, eta: '8 s' });
    assert.deepEqual(
      events.filter((e) => e.event !== 'progress').map((e) => [e.event, e.data]),
      [
        ['status', { status: 'finished', exitCode: 0 }],
        ['end', { status: 'finished' }],
      ],
    );
  });

  it('resumes after Last-Event-ID: only the lines after it', async () => {
    const first = parseSse(await (await app.request('/runs/done/events')).text()).filter((e) => e.event === 'progress');
    const resumed = parseSse(await (await app.request('/runs/done/events', { headers: { 'last-event-id': first[3]!.id! } })).text()).filter((e) => e.event === 'progress');
    assert.deepEqual(
      resumed.map((e) => [e.id, e.data['text']]),
      first.slice(4).map((e) => [e.id, e.data['text']]),
    );
    assert.equal(resumed[0]!.data['text'], 'arm «crop» — 2 epochs left');
  });

  it('an unknown run or a name outside the folder has no stream', async () => {
    assert.equal((await app.request('/runs/nope/events')).status, 404);
    assert.equal((await app.request('/runs/..%2Fdone/events')).status, 404);
  });
});
