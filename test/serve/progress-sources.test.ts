/**
 * Long work beyond the first round of bars reports `step(label, done, total)` too, so a terminal
 * shows a bar with ETA and the workbench gets step events: augment-images' images, the few-label
 * experiment's (arm, k, seed) runs, an LLM batch's generations, the fits the CTR task wraps (their
 * labels prefixed with the synthesizer), a lift generator's and the autoregressive synthesizer's
 * training batches.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { ProgressReporter } from '../../src/core/index.ts';
import { makeTrainView, type Cell, type Table, type TableMetadata } from '../../src/data/index.ts';
import { augmentImages, validateData, fitSequenceGenerator, parseFewLabelExperimentConfig, runCtrExperiment, runFewLabelExperiment } from '../../src/experiment/index.ts';
import { withBatchProgress } from '../../src/experiment/text-generators.ts';
import { runBatch, type TextGenerator } from '../../src/llm/index.ts';
import { createSynthesizer } from '../../src/synth/index.ts';
import { createSequenceSynthesizer } from '../../src/synth/sequence/index.ts';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');
const pricerunner = resolve(root, '../shared/data/pricerunner-products/pricerunner_aggregate.csv');

/** Every step update, per label. */
function recording(): ProgressReporter & { steps: Map<string, { done: number; total: number }[]> } {
  const steps = new Map<string, { done: number; total: number }[]>();
  return { steps, line: () => {}, step: (label, done, total) => void steps.set(label, [...(steps.get(label) ?? []), { done, total }]) };
}

/** The label's updates start at 0 (the clock starts before the first unit, so its first finish gives an ETA) or end at its total. */
function assertBar(p: ReturnType<typeof recording>, label: string | RegExp, total?: number): void {
  const key = [...p.steps.keys()].find((k) => (typeof label === 'string' ? k === label : label.test(k)));
  assert.ok(key !== undefined, `no step for ${String(label)}; labels: ${[...p.steps.keys()].join(', ')}`);
  const s = p.steps.get(key)!;
  const last = s.at(-1)!;
  assert.equal(last.done, last.total, `${key} ends at its total`);
  if (total !== undefined) assert.equal(last.total, total, key);
}

describe('progress bars in more long work', () => {
  it('validate: bytes read of the file, for a plain and a gzipped log', async () => {
    const { writeFileSync } = await import('node:fs');
    const { gzipSync } = await import('node:zlib');
    const dir = tempFolder('steps-validate-');
    const text = Array.from({ length: 40_000 }, (_, u) => `${u + 1} ${1 + (u % 97)} ${1 + ((u * 7) % 97)} ${1 + ((u * 13) % 97)}`).join('\n') + '\n';
    writeFileSync(join(dir, 'log.txt'), text);
    writeFileSync(join(dir, 'log.txt.gz'), gzipSync(text));
    for (const name of ['log.txt', 'log.txt.gz']) {
      const p = recording();
      const r = await validateData(join(dir, name), 'seqtxt', {}, p);
      assert.equal(r.users, 40_000);
      const { statSync } = await import('node:fs');
      assertBar(p, `reading ${name}`, statSync(join(dir, name)).size);
      assert.ok(p.steps.get(`reading ${name}`)!.length >= 1);
    }
  });

  it('validate: rows read of a Parquet log (the count in its footer), as a bar on a terminal and step events in a pipe, accounting unchanged', async () => {
    const { writeFileSync } = await import('node:fs');
    const { streamProgress } = await import('../../src/core/index.ts');
    const { jsonlToParquet, withDuckDB } = await import('../../src/data/index.ts');
    const dir = tempFolder('steps-validate-parquet-');
    // 10,000 rows over several chunks (DuckDB hands them over 2,048 at a time); 3 rejected: an empty
    // user, a bad timestamp, a row of an event type not asked for.
    const rows = Array.from({ length: 10_000 }, (_, r) => ({ user: `u${r % 700}`, item: `i${(r * 7) % 311}`, ts: String(1_600_000_000 + r), event: 'view' }));
    rows[17]!.user = '';
    rows[4242]!.ts = 'yesterday';
    rows[9001]!.event = 'refund';
    const jsonl = join(dir, 'log.jsonl');
    writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const parquet = join(dir, 'log.parquet');
    const types = ['user', 'item', 'ts', 'event'].map((name) => ({ name, type: 'VARCHAR' }));
    await withDuckDB(parquet, (conn) => jsonlToParquet(conn, jsonl, parquet, types));
    const load = { columns: { user: 'user', item: 'item', timestamp: 'ts', eventType: 'event' }, eventTypes: ['view'] };
    const quiet = await validateData(parquet, 'parquet', load);
    const asJsonl = await validateData(jsonl, 'jsonl', load);

    const p = recording();
    const r = await validateData(parquet, 'parquet', load, p);
    assert.deepEqual(r.report, quiet.report, 'the bar changes no count');
    assert.equal(r.text, quiet.text);
    assert.match(r.text, /10000 rows in = 9997 kept \+ 3 rejected/);
    assert.equal(r.text.split('\n').slice(1).join('\n'), asJsonl.text.split('\n').slice(1).join('\n'), 'same verdicts as the same rows in JSONL');
    const updates = p.steps.get('reading log.parquet');
    assert.ok(updates !== undefined, `labels: ${[...p.steps.keys()].join(', ')}`);
    assert.ok(updates.every((u) => u.total === 10_000), 'total = rows in the footer');
    assert.deepEqual(updates[0], { done: 0, total: 10_000 }, 'starts at 0, so the first chunk gives a pace');
    assertBar(p, 'reading log.parquet', 10_000);
    assert.ok(updates.length >= 5, `one update per chunk, got ${updates.length}`);
    for (let k = 1; k < updates.length; k++) assert.ok(updates[k]!.done > updates[k - 1]!.done, 'rows done only grow');

    // What a user sees: on a terminal a redrawn bar with ETA that ends at 100 %; in a pipe nothing
    // but whole lines, unless step events are asked for (the workbench), then JSON step lines.
    let clock = 0;
    const tty = { isTTY: true, columns: 100, out: '', write(s: string) { this.out += s; return true; } };
    await validateData(parquet, 'parquet', load, streamProgress(tty, () => (clock += 300)));
    assert.match(tty.out, /reading log\.parquet \[#*-*\]\s+\d+ % \d+\/10000 {2}ETA \d+ s/);
    assert.match(tty.out, /reading log\.parquet \[#+\] 100 % 10000\/10000/);
    const pipe = { isTTY: false, out: '', write(s: string) { this.out += s; return true; } };
    await validateData(parquet, 'parquet', load, streamProgress(pipe, () => (clock += 300)));
    assert.equal(pipe.out, '', 'a pipe without step events gets no bar');
    const events = { isTTY: false, out: '', write(s: string) { this.out += s; return true; } };
    await validateData(parquet, 'parquet', load, streamProgress(events, () => (clock += 300), { stepEvents: true }));
    const steps = events.out.trim().split('\n').map((l) => JSON.parse(l) as { step: string; done: number; total: number; etaSeconds: number | null });
    assert.ok(steps.length >= 2 && steps.every((e) => e.step === 'reading log.parquet' && e.total === 10_000));
    assert.equal(steps.at(-1)!.done, 10_000);
    assert.ok(steps.some((e) => e.etaSeconds !== null && e.etaSeconds > 0), 'an ETA while it reads');
  });

  it('prepare (out-of-core): bytes read of the log in the staging pass; the DuckDB stages stay lines', async () => {
    const { statSync } = await import('node:fs');
    const { generateInteractionLog, LOG_PRESETS } = await import('../../src/data/index.ts');
    const { prepareCommandSchema, runPrepareCommand } = await import('../../src/cli/prepare.ts');
    const dir = tempFolder('steps-prepare-');
    const log = generateInteractionLog(join(dir, 'log.csv'), { preset: LOG_PRESETS.beauty, rows: 20_000, seed: 1 });
    const lines: string[] = [];
    const p = { ...recording(), line: (l: string) => void lines.push(l) };
    const c = prepareCommandSchema.parse({ data: { path: log.path, columns: { user: 'user', item: 'item', timestamp: 'timestamp' } }, out: join(dir, 'out'), memoryLimit: '128MB', dbThreads: 1 });
    const r = await runPrepareCommand(c, p);
    assert.equal(r.prepared.report.rowsIn, 20_000);
    assertBar(p, 'reading log.csv', statSync(log.path).size);
    assert.ok(lines.some((l) => /^prepare: /.test(l)), lines.join('\n'));
  });

  it('augment-images: images done of all', async () => {
    const src = tempFolder('steps-images-');
    for (const c of ['cat', 'dog']) {
      mkdirSync(join(src, c));
      for (let k = 0; k < 3; k++) await sharp(Buffer.alloc(8 * 8 * 3, 40 * k + (c === 'cat' ? 0 : 100)), { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(join(src, c, `i${k}.png`));
    }
    const p = recording();
    const pipeline = join(src, '..', `${src.split('/').pop()}-pipeline.yaml`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(pipeline, 'family: image\nsteps: [{ op: hflip, p: 1 }]\n');
    await augmentImages({ images: src, pipeline, views: 1, seed: 0, out: join(tempFolder('steps-images-out-'), 'out'), workers: 0, progress: p });
    assertBar(p, 'augment-images: images', 6);
  });

  it('few-label: the (arm, k, seed) runs, from 0', { timeout: 120_000 }, async () => {
    const config = parseFewLabelExperimentConfig({
      task: 'few-label',
      name: 'titles',
      data: { kind: 'titles', path: pricerunner, classes: ['CPUs', 'Digital Cameras', 'Microwaves'], testPerClass: 20 },
      ks: [3],
      seeds: 2,
      validPerClass: 5,
      classifier: { iterations: 20 },
      bootstrap: { resamples: 100 },
      arms: [{ name: 'noise', views: 1, pipeline: { steps: [{ op: 'keyboard_typo', rate: 0.15 }] } }],
    });
    const p = recording();
    await runFewLabelExperiment({ config, baseDir: root, out: tempFolder('steps-few-label-'), progress: p });
    assertBar(p, 'experiment: (arm, k, seed) runs', 4);
    assert.equal(p.steps.get('experiment: (arm, k, seed) runs')![0]!.done, 0);
  });

  it('an LLM batch: requests answered of the batch, the caller’s own onProgress still called', async () => {
    const inner: TextGenerator = {
      provider: 'fake',
      model: 'echo',
      generate: async (r) => ({ text: r.prompt, finishReason: 'stop' }) as never,
      generateBatch: (requests, options) => runBatch(requests, 2, async (r) => ({ ok: true, text: r.prompt }) as never, options),
      close: async () => {},
    };
    const p = recording();
    const own: number[] = [];
    await withBatchProgress(inner, p).generateBatch(Array.from({ length: 5 }, (_, i) => ({ prompt: `q${i}` })) as never, { onProgress: (d) => void own.push(d) });
    assertBar(p, 'llm: generations', 5);
    assert.deepEqual(p.steps.get('llm: generations')!.map((s) => s.done), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(own, [1, 2, 3, 4, 5]);
  });

  it('CTR: a synthesizer fit’s bar reaches the task’s reporter, prefixed with the synthesizer', async () => {
    const meta: TableMetadata = { columns: { user: { type: 'id' }, color: { type: 'categorical' }, price: { type: 'numerical' }, label: { type: 'boolean' } } };
    const cols: Record<string, Cell[]> = { user: [], color: [], price: [], label: [] };
    for (let i = 0; i < 300; i++) {
      cols.user!.push(`u${i % 23}`);
      cols.color!.push(['red', 'green', 'blue'][i % 3]!);
      cols.price!.push((i * 7) % 100);
      cols.label!.push(i % 3 === 0 ? i % 2 === 0 : i % 5 === 0);
    }
    const table: Table = { columns: Object.keys(cols), rowCount: 300, data: cols };
    const p = recording();
    await runCtrExperiment({ table, metadata: meta, label: 'label', rowIds: Array.from({ length: 300 }, (_, i) => i), timestamps: Array.from({ length: 300 }, (_, i) => i) }, { seeds: [0], models: ['logistic'], synthesizers: ['gaussian-copula'], arms: ['real', 'real+synth'], epochs: 1 }, { createSynthesizer, progress: p });
    assertBar(p, 'gaussian-copula: gaussian-copula: columns');
  });

  const seqs = Array.from({ length: 40 }, (_, u) => Int32Array.from({ length: 4 + (u % 4) }, (_, i) => 1 + ((u + i * 3) % 12)));

  it('a lift generator: its training batches, prefixed with the direction', { timeout: 60_000 }, async () => {
    const p = recording();
    await fitSequenceGenerator(makeTrainView(12, seqs), { direction: 'reverse', seed: 0, epochs: 1, model: { config: { hidden: 8, maxLen: 8 } }, progress: p });
    assertBar(p, /^generator \(reverse\): .*epoch 1\/1/);
  });

  it('the autoregressive synthesizer: its training batches, prefixed', { timeout: 60_000 }, async () => {
    const synth = createSequenceSynthesizer('autoregressive', { epochs: 1, network: { hidden: 8, maxLen: 8 } });
    const p = recording();
    await synth.fit(makeTrainView(12, seqs), { seed: 0, progress: p });
    assertBar(p, /^autoregressive: .*epoch 1\/1/);
  });
});
