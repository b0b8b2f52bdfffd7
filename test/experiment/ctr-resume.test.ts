import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/index.ts';
import type { Cell, Table, TableMetadata } from '../../src/data/index.ts';
import { selectRows } from '../../src/data/index.ts';
import { runCtrExperiment } from '../../src/experiment/index.ts';
import { createCtrModel, type CtrModel } from '../../src/models/index.ts';
import type { SampleOptions, SampleResult, Synthesizer, SynthFitReport } from '../../src/synth/types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'samplify-ctr-resume-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const META: TableMetadata = { columns: { user: { type: 'id' }, color: { type: 'categorical' }, price: { type: 'numerical' }, label: { type: 'boolean' } } };

function dataset(n: number) {
  const rng = new Rng(9);
  const cols: Record<string, Cell[]> = { user: [], color: [], price: [], label: [] };
  const timestamps: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = ['red', 'green', 'blue'][rng.int(3)]!;
    cols.user!.push(`u${rng.int(20)}`);
    cols.color!.push(c);
    cols.price!.push(Math.round(rng.next() * 100));
    cols.label!.push((c === 'red' ? 0.4 : 0) + rng.next() * 0.5 > 0.6);
    timestamps.push(i);
  }
  const table: Table = { columns: Object.keys(cols), rowCount: n, data: cols };
  return { table, metadata: META, label: 'label', rowIds: timestamps.map((_, i) => i), timestamps };
}

/** Resamples training rows (honouring conditions); counts its fits. */
class CountingSynthesizer implements Synthesizer {
  readonly name = 'resample';
  static fits = 0;
  fitted: Table | null = null;
  async fit(table: Table): Promise<SynthFitReport> {
    CountingSynthesizer.fits++;
    this.fitted = table;
    return { seconds: 0, losses: [] };
  }
  sample(n: number, options?: SampleOptions): SampleResult {
    const t = this.fitted!;
    const rng = new Rng(options?.seed ?? 0);
    const cond = options?.conditions ?? {};
    const pool = Array.from({ length: t.rowCount }, (_, i) => i).filter((i) => Object.entries(cond).every(([c, v]) => t.data[c]![i] === v));
    return { table: selectRows(t, Array.from({ length: n }, () => pool[rng.int(pool.length)]!)), report: { requested: n, produced: n, conditionMethod: 'reject', acceptanceRate: 1, exactCopiesRemoved: 0 } };
  }
  save(): void {}
  load(): void {}
}

test('ctr with a run store: a rerun reuses every recorded fit (no model or synthesizer refitted) and gives the same cells; a changed setting reruns', async () => {
  const ds = dataset(500);
  const runDir = join(tmp, 'runs');
  let modelFits = 0;
  const deps = {
    runDir,
    createModel: (name: string, cfg: Record<string, unknown>): CtrModel => {
      const inner = createCtrModel(name, cfg);
      return { name, fit: (t, o) => (modelFits++, inner.fit(t, o)), predict: (t) => inner.predict(t), save: (d) => inner.save(d), load: (d) => inner.load(d) };
    },
    createSynthesizer: () => new CountingSynthesizer(),
  };
  const cfg = { seeds: [0, 1], models: ['logistic'], synthesizers: ['resample'], epochs: 2 };
  const first = await runCtrExperiment(ds, cfg, deps);
  assert.equal(modelFits, 2 * 4);
  assert.equal(CountingSynthesizer.fits, 2);
  assert.ok(existsSync(join(runDir, 'real-logistic-seed0.json')));
  assert.ok(existsSync(join(runDir, 'synthesizer-resample-seed1.json')));
  const lines: string[] = [];
  const again = await runCtrExperiment(ds, cfg, { ...deps, progress: { line: (l) => void lines.push(l) } });
  assert.equal(modelFits, 2 * 4, 'no model refitted');
  assert.equal(CountingSynthesizer.fits, 2, 'no synthesizer refitted');
  assert.deepEqual(again.cells, first.cells);
  assert.deepEqual(again.synthRuns, first.synthRuns);
  assert.ok(lines.some((l) => /resample seed 0: already done; not refitted/.test(l)));
  // Another epoch budget is another run: everything is fitted again.
  await runCtrExperiment(ds, { ...cfg, epochs: 3 }, deps);
  assert.equal(modelFits, 2 * 4 * 2);
  assert.equal(CountingSynthesizer.fits, 4);
  // Without a run store nothing is reused.
  await runCtrExperiment(ds, { ...cfg, seeds: [0] }, { ...deps, runDir: undefined });
  assert.equal(modelFits, 2 * 4 * 2 + 4);
});
