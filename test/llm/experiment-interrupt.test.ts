/**
 * Ctrl-C in the middle of a generate arm (issue 15 §4): the run stops with InterruptedError (the
 * CLI's exit 130), leaves no partial output (no synthetic-pairs file, no record of the arm, no
 * results, no temp files), keeps every answer it received in the generator cache; the rerun
 * resumes from that cache, so the server sees every request exactly once across both runs, and
 * the finished outputs equal those of a run that was never interrupted.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CancelToken, InterruptedError } from '../../src/core/index.ts';
import { runSearchExperiment, type SearchExperimentConfig } from '../../src/experiment/index.ts';
import type { ChatCompletionBody } from '../../src/llm/index.ts';
import { plantedSearchConfig, writePlantedLog } from '../experiment/search-fixture.ts';
import { tempFolder } from '../temp-folders.ts';
import { FAST, recordingKey, startReplayServer } from './loopback-server.ts';

/** A fake model that writes "<two title words>" chosen by the request's seed: a pure function of the request. */
function titleWords(body: ChatCompletionBody): { text: string; finishReason: 'stop' } {
  const words = body.messages[body.messages.length - 1]!.content.split(' ');
  const i = 1 + (body.seed % Math.max(1, words.length - 2));
  return { text: `${words[i]} ${words[i + 1] ?? words[0]}`, finishReason: 'stop' };
}

function armConfig(data: string, baseURL: string): SearchExperimentConfig {
  return plantedSearchConfig(data, {
    seeds: 2,
    arms: [
      {
        name: 'doc2query',
        generate: {
          generator: { name: 'openai-compatible', config: { baseURL, model: 'fake', concurrency: 3, ...FAST } },
          pairs: { queriesPerProduct: 2, maxProducts: 60, negatives: 3 },
          teacher: { name: 'gbdt-regression', config: { numTrees: 20 } },
        },
      },
    ],
  });
}

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort() : [];
}

test('Ctrl-C mid-generation: no partial outputs; the rerun resumes from the cache and the server answers every request exactly once', async () => {
  const dir = tempFolder('samplify-interrupt-arm-');
  const data = writePlantedLog(dir, 120);
  const out = join(dir, 'run');
  const served = new Map<string, number>();
  const cancel = new CancelToken();
  const CUT = 40;
  const server = await startReplayServer({
    responder: (body) => {
      const key = recordingKey(body);
      served.set(key, (served.get(key) ?? 0) + 1);
      // The user presses Ctrl-C while the first seed's queries are being written.
      if (served.size === CUT) cancel.cancel();
      return titleWords(body);
    },
  });
  try {
    const config = armConfig(data, server.url);
    await assert.rejects(runSearchExperiment({ config, baseDir: dir, out, cancel }), (e: unknown) => e instanceof InterruptedError);
    const afterCut = files(out);
    assert.ok(served.size >= CUT && served.size < CUT + 10, `${served.size} requests answered before the stop (at most the in-flight ones after it)`);
    assert.deepEqual(
      afterCut.filter((f) => f.endsWith('.tmp')),
      [],
      'no temp files',
    );
    assert.ok(!afterCut.includes('results.json') && !afterCut.includes('results.csv'), 'no results');
    assert.deepEqual(
      afterCut.filter((f) => f.startsWith(join('arms', 'doc2query'))),
      [],
      'nothing of the interrupted arm: no synthetic pairs, no record',
    );
    const cached = afterCut.filter((f) => f.startsWith(join('generators', 'cache')));
    assert.equal(cached.length, served.size, 'every answer received is in the cache, and only those');

    // The rerun: finishes, asks the server only for what it had not answered.
    const before = served.size;
    const r = await runSearchExperiment({ config, baseDir: dir, out, cancel: new CancelToken() });
    assert.equal(r.arms.length, 2);
    assert.ok(served.size > before, 'the rest was generated');
    assert.deepEqual(
      [...served.values()].filter((n) => n !== 1),
      [],
      'no request reached the server twice',
    );
    const requested = [0, 1].map((s) => (JSON.parse(readFileSync(join(out, 'arms', 'doc2query', `synthetic-seed${s}.json`), 'utf8')) as { requested: number }).requested);
    assert.equal(served.size, requested[0]! + requested[1]!, 'one server call per distinct request over both runs');
    assert.deepEqual(
      files(out).filter((f) => f.endsWith('.tmp')),
      [],
    );

    // Interrupted + resumed = never interrupted (a fresh folder, the same server).
    const fresh = join(dir, 'fresh');
    await runSearchExperiment({ config, baseDir: dir, out: fresh });
    for (const s of [0, 1]) {
      const f = join('arms', 'doc2query', `synthetic-seed${s}.json`);
      assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(fresh, f), 'utf8'));
    }
    assert.equal(readFileSync(join(out, 'results.csv'), 'utf8'), readFileSync(join(fresh, 'results.csv'), 'utf8'));
  } finally {
    await server.close();
  }
});
