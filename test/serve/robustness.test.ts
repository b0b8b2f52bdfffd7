/**
 * The workbench outlives its runs: a launched run that crashes (its data file deleted after the
 * launch, or its process killed with SIGKILL) is listed as failed with the reason while the server
 * keeps answering; a server started again on the same runs folder lists every run with the same
 * status (the state is on disk). Comparing two runs that differ in config lists the differing keys.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseExperimentConfig, runLiftExperiment } from '../../src/experiment/index.ts';
import { launchJob, readJob, startWorkbench } from '../../src/serve/index.ts';
import { SAMPLE, smallLiftRun } from '../report/fixtures.ts';
import { tempFolder } from '../temp-folders.ts';

async function until<T>(what: string, f: () => T | null | undefined | false, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** status and reason of every run in the list page. */
async function listed(origin: string): Promise<Map<string, { status: string; reason: string | null }>> {
  const res = await fetch(`${origin}/`);
  assert.equal(res.status, 200);
  const page = await res.text();
  const rows = new Map<string, { status: string; reason: string | null }>();
  for (const m of page.matchAll(/<tr data-run="([^"]+)">.*?data-testid="run-status">([^<]*)(?:<div class="reason" data-testid="run-reason">([^<]*)<\/div>)?<\/td>/gs)) rows.set(m[1]!, { status: m[2]!, reason: m[3] ?? null });
  return rows;
}

function liftConfig(name: string, data: string, epochs: number): string {
  return `name: ${name}\ndata: { path: ${data}, format: seqtxt }\nmodel: { model: sasrec, config: { loss: ce, hidden: 8, maxLen: 10 } }\nseeds: 1\nepochs: ${epochs}\npatience: ${epochs}\nmetric: NDCG@20\narms: [{ name: crop, pipeline: { version: 1, steps: [{ op: crop, ratio: 0.8 }] } }]\n`;
}

describe('the workbench outlives its runs', () => {
  it('crashed runs are failed with their reason, the server keeps answering, and a restarted server lists every run again', async () => {
    const runs = tempFolder('wb-robust-');
    const dataDir = tempFolder('wb-robust-data-');
    const tiny = readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 400).join('\n') + '\n';
    writeFileSync(join(dataDir, 'gone.txt'), tiny);
    writeFileSync(join(dataDir, 'kept.txt'), tiny);
    await smallLiftRun(join(runs, 'done'));
    let wb = await startWorkbench({ runs, port: 0 });
    try {
      // The child needs a few seconds to start: the data file is gone before it reads it.
      launchJob(runs, 'gone', liftConfig('gone', join(dataDir, 'gone.txt'), 2));
      rmSync(join(dataDir, 'gone.txt'));
      launchJob(runs, 'killed', liftConfig('killed', join(dataDir, 'kept.txt'), 200));
      const log = join(runs, 'killed', 'progress.log');
      await until('the first epoch of the run to kill', () => /epoch\s+1\//.test(readFileSync(log, 'utf8')));
      const pid = readJob(join(runs, 'killed'))!.pid!;
      process.kill(pid, 'SIGKILL');
      for (const name of ['gone', 'killed']) await until(`${name} to end`, () => readJob(join(runs, name))?.shown !== 'running');

      const rows = await listed(wb.origin);
      assert.deepEqual(rows.get('done'), { status: 'finished', reason: null });
      assert.equal(rows.get('gone')?.status, 'failed');
      assert.match(rows.get('gone')?.reason ?? '', /gone\.txt/, 'the reason names the missing file');
      assert.equal(readJob(join(runs, 'gone'))?.exitCode, 3, 'a data error exits 3');
      assert.equal(rows.get('killed')?.status, 'failed');
      assert.match(rows.get('killed')?.reason ?? '', /killed by SIGKILL/);
      assert.equal(readJob(join(runs, 'killed'))?.exitCode, 137);
      const runPage = await (await fetch(`${wb.origin}/runs/killed`)).text();
      assert.match(runPage, /data-testid="reason">killed by SIGKILL/);
      // The report of a crashed run is a page that says what is missing, not an error.
      const report = await fetch(`${wb.origin}/runs/gone/report`);
      assert.equal(report.status, 200);

      await wb.close();
      wb = await startWorkbench({ runs, port: 0 });
      assert.deepEqual(await listed(wb.origin), rows, 'a new server on the same folder lists the same runs, statuses and reasons');
    } finally {
      await wb.close();
      // A failed assertion must not leave the long run behind.
      const left = readJob(join(runs, 'killed'));
      if (left?.shown === 'running' && left.pid !== null) process.kill(left.pid, 'SIGKILL');
    }
  });

  it('compares two runs that differ in config: every differing key is a row', async () => {
    const runs = tempFolder('wb-compare-');
    await smallLiftRun(join(runs, 'two-seeds'));
    const config = parseExperimentConfig({ name: 'report-test', data: { path: SAMPLE, format: 'seqtxt' }, model: { model: 'pop' }, seeds: 1, metric: 'HR@20', arms: [{ name: 'crop-reorder', pipeline: { version: 1, steps: [{ op: 'crop', ratio: 0.6 }] }, views: 1 }] });
    await runLiftExperiment({ config, baseDir: runs, out: join(runs, 'one-seed') });
    const wb = await startWorkbench({ runs, port: 0 });
    try {
      const page = await (await fetch(`${wb.origin}/compare?a=two-seeds&b=one-seed`)).text();
      const table = page.slice(page.indexOf('data-testid="compare-config"'), page.indexOf('</table>', page.indexOf('data-testid="compare-config"')));
      const keys = [...table.matchAll(/<tr><td><code>([^<]+)<\/code><\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[1], m[2], m[3]]);
      const byKey = new Map(keys.map(([k, a, b]) => [k!, [a, b]]));
      assert.deepEqual(byKey.get('seeds'), ['2', '1']);
      assert.deepEqual(byKey.get('metric'), ['&quot;NDCG@20&quot;', '&quot;HR@20&quot;']);
      assert.ok(byKey.has('arms'), 'the arms differ (another pipeline)');
      assert.ok(!byKey.has('name') && !byKey.has('model.model'), 'equal keys are not listed');
      assert.match(page, /Config differences \(3\)/);
    } finally {
      await wb.close();
    }
  });
});
