import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CancelToken, ConfigError, DataValidationError, InterruptedError, ModelStateError, collectingProgress } from '../../src/core/index.ts';
import { TvaeSynthesizer } from '../../src/synth/tvae.ts';
import { frequencies, mixedTable, shopTable } from './transformer-fixtures.ts';

describe('TvaeSynthesizer', () => {
  const small = { batchSize: 50, embeddingDim: 32, encoderDims: [64], decoderDims: [64] };
  const { table, metadata } = shopTable(400, 1);

  it('fits a small table in a few seconds; the ELBO improves; samples keep frequencies, types, ranges and modes', async () => {
    const m = new TvaeSynthesizer(small);
    const progress = collectingProgress();
    const report = await m.fit(table, metadata, { seed: 3, epochs: 60, progress });
    assert.equal(report.losses.length, 60);
    assert.ok(report.losses.at(-1)!.loss! < report.losses[0]!.loss! - 1, JSON.stringify([report.losses[0], report.losses.at(-1)]));
    assert.ok(progress.lines.some((l) => /^tvae epoch 60\/60 .*loss .*reconstruction .*kl .* s$/.test(l)));
    const { table: s } = m.sample(1000, { seed: 1 });
    assert.equal(s.rowCount, 1000);
    const real = frequencies(table.data.segment!);
    const synth = frequencies(s.data.segment!);
    for (const [k, p] of real) assert.ok(Math.abs((synth.get(k) ?? 0) - p) < 0.08, `segment ${k}: real ${p.toFixed(3)} synthetic ${(synth.get(k) ?? 0).toFixed(3)}`);
    // Bimodal spend: about 10 % of rows (the vip mode) above 100.
    const high = s.data.spend!.filter((v) => (v as number) > 100).length / 1000;
    assert.ok(high > 0.03 && high < 0.2, `share of high spend ${high}`);
    for (const v of s.data.member!) assert.equal(typeof v, 'boolean');
    for (const v of s.data.items!) assert.ok(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 5);
  });

  it('handles every column type (nulls, ids, ISO dates) and round-trips save/load with identical samples', async () => {
    const { table: mt, metadata: mm } = mixedTable(300, 2);
    const a = new TvaeSynthesizer(small);
    await a.fit(mt, mm, { seed: 5, epochs: 5 });
    const b = new TvaeSynthesizer(small);
    await b.fit(mt, mm, { seed: 5, epochs: 5 });
    const sa = a.sample(150, { seed: 9 });
    assert.deepEqual(b.sample(150, { seed: 9 }), sa);
    for (const v of sa.table.data.day!) assert.match(String(v), /^2020-\d\d-\d\d$|^2021-01-01$|^2019-12-31$/);
    const users = new Set(mt.data.user!);
    for (const v of sa.table.data.user!) assert.ok(users.has(v), `id ${String(v)} is a training id`);
    const dir = mkdtempSync(join(tmpdir(), 'tvae-'));
    try {
      const path = join(dir, 'model.bin');
      a.save(path);
      const c = new TvaeSynthesizer();
      c.load(path);
      assert.deepEqual(c.sample(150, { seed: 9 }), sa);
      assert.throws(() => new TvaeSynthesizer().load(join(dir, 'missing.bin')), ModelStateError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('conditions by rejection, with the acceptance rate reported', async () => {
    const m = new TvaeSynthesizer(small);
    await m.fit(table, metadata, { seed: 2, epochs: 10 });
    const r = m.sample(50, { seed: 1, conditions: { segment: 'regular' } });
    assert.equal(r.report.conditionMethod, 'reject');
    assert.ok(r.report.acceptanceRate > 0 && r.report.acceptanceRate < 1);
    assert.ok(r.table.data.segment!.every((v) => v === 'regular'));
    assert.throws(() => m.sample(5, { conditions: { nope: 1 } }), ConfigError);
  });

  it('edge tables: a constant column, an all-null column, a single row; NaN is a clear error', async () => {
    const n = 60;
    const t = {
      columns: ['k', 'nothing', 'c'],
      rowCount: n,
      data: { k: new Array(n).fill(7), nothing: new Array(n).fill(null), c: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'a' : 'b')) },
    };
    const md = { columns: { k: { type: 'numerical' as const }, nothing: { type: 'numerical' as const }, c: { type: 'categorical' as const } } };
    const m = new TvaeSynthesizer({ ...small, removeExactCopies: false });
    const rep = await m.fit(t, md, { seed: 1, epochs: 3 });
    assert.ok(rep.losses.every((p) => Number.isFinite(p.loss!)));
    const s = m.sample(30, { seed: 2 }).table;
    assert.ok(s.data.k!.every((v) => v === 7));
    assert.ok(s.data.nothing!.every((v) => v === null));
    const one = { columns: ['x', 'c'], rowCount: 1, data: { x: [1.5], c: ['a'] } };
    const m1 = new TvaeSynthesizer({ ...small, removeExactCopies: false });
    await m1.fit(one, { columns: { x: { type: 'numerical' }, c: { type: 'categorical' } } }, { seed: 1, epochs: 2 });
    assert.deepEqual(m1.sample(3, { seed: 1 }).table.data.c, ['a', 'a', 'a']);
    const bad = { columns: ['x'], rowCount: 2, data: { x: [1, Number.NaN] } };
    await assert.rejects(new TvaeSynthesizer(small).fit(bad, { columns: { x: { type: 'numerical' } } }, { seed: 1, epochs: 1 }), DataValidationError);
  });

  it('bad use is a clear error', async () => {
    assert.throws(() => new TvaeSynthesizer().sample(3), ModelStateError);
    assert.throws(() => new TvaeSynthesizer({ lr: -1 }), /'lr'/);
    const cancel = new CancelToken();
    cancel.cancel();
    await assert.rejects(new TvaeSynthesizer(small).fit(table, metadata, { seed: 1, epochs: 2, cancel }), InterruptedError);
  });
});
