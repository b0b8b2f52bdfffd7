import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ModelStateError, Rng } from '../../src/core/index.ts';
import { leaveOneOutSplit, type SequenceDataset } from '../../src/data/index.ts';
import { SequenceVaeSynthesizer, createSequenceSynthesizer } from '../../src/synth/index.ts';
import { beautySlice, hasBeauty } from './sequence-helpers.ts';

const arrs = (xs: Int32Array[]): number[][] => xs.map((x) => Array.from(x));

/**
 * Two worlds: a user walks items 1..20 or 21..40 (each step one of the next three ids, wrapping
 * within the world), never mixing them. A model that learned nothing mixes the worlds in most
 * histories; one that learned the data keeps almost every history in one world.
 */
function twoWorlds(users: number, seed: number): SequenceDataset {
  const rng = new Rng(seed);
  const sequences = Array.from({ length: users }, () => {
    const base = rng.next() < 0.5 ? 0 : 20;
    const len = 6 + rng.int(5);
    let at = rng.int(20);
    const seen = new Set<number>();
    while (seen.size < len) {
      seen.add(base + 1 + at);
      at = (at + 1 + rng.int(3)) % 20;
    }
    return Int32Array.from(seen);
  });
  return { name: 'two-worlds', userIds: sequences.map((_, i) => `u${i}`), itemIds: ['<pad>', ...Array.from({ length: 40 }, (_, i) => `i${i + 1}`)], numItems: 40, sequences, checksum: 'x' };
}

const tiny = { hidden: 16, latent: 4, batchSize: 64 };

describe('sequence VAE synthesizer', () => {
  const split = leaveOneOutSplit(twoWorlds(400, 1));
  const pure = (h: Int32Array): boolean => h.every((i) => i <= 20) || h.every((i) => i > 20);

  it('learns the data: histories stay in one world after training, not before', async () => {
    const untrained = new SequenceVaeSynthesizer({ ...tiny, epochs: 1, lr: 1e-9 });
    await untrained.fit(split.train, { seed: 0 });
    const trained = new SequenceVaeSynthesizer({ ...tiny, epochs: 25, lr: 1e-2 });
    const rep = await trained.fit(split.train, { seed: 0 });
    assert.equal(rep.losses.length, 25);
    assert.ok(rep.losses.at(-1)!.loss < rep.losses[0]!.loss, `loss falls (${rep.losses[0]!.loss} → ${rep.losses.at(-1)!.loss})`);
    const share = (xs: Int32Array[]) => xs.filter(pure).length / xs.length;
    const before = share(untrained.sample(300, { seed: 1 }));
    const after = share(trained.sample(300, { seed: 1 }));
    assert.ok(before < 0.2, `an untrained model mixes the worlds (pure share ${before})`);
    assert.ok(after > 0.8, `a trained model keeps histories in one world (pure share ${after})`);
  });

  it('same seed → byte-identical fit and samples; history j does not depend on n; save → load samples the same', async () => {
    const a = new SequenceVaeSynthesizer({ ...tiny, epochs: 2 });
    const b = new SequenceVaeSynthesizer({ ...tiny, epochs: 2 });
    await a.fit(split.train, { seed: 7 });
    await b.fit(split.train, { seed: 7 });
    const out = a.sample(50, { seed: 3 });
    assert.deepEqual(arrs(b.sample(50, { seed: 3 })), arrs(out));
    assert.deepEqual(arrs(a.sample(20, { seed: 3 })), arrs(out.slice(0, 20)));
    assert.notDeepEqual(arrs(a.sample(20, { seed: 4 })), arrs(out.slice(0, 20)));
    const dir = mkdtempSync(join(tmpdir(), 'samplify-seqvae-'));
    try {
      a.save(join(dir, 'vae.json'));
      const loaded = createSequenceSynthesizer('vae');
      loaded.load(join(dir, 'vae.json'));
      assert.deepEqual(arrs(loaded.sample(50, { seed: 3 })), arrs(out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('contract on a real Beauty slice: requested lengths, training items only, no repeats', { skip: !hasBeauty && 'needs ../shared/data/beauty/Beauty.txt' }, async () => {
    const beauty = leaveOneOutSplit(beautySlice(500));
    const real = beauty.train.users().map((u) => beauty.train.sequence(u));
    const inTrain = new Set(real.flatMap((s) => Array.from(s)));
    const s = new SequenceVaeSynthesizer({ ...tiny, epochs: 1 });
    await s.fit(beauty.train, { seed: 0 });
    assert.deepEqual(s.sample(3, { seed: 1, lengths: [1, 3, 9] }).map((h) => h.length), [1, 3, 9]);
    for (const h of s.sample(100, { seed: 2 })) {
      assert.ok(h.length >= 1);
      assert.equal(new Set(h).size, h.length, 'Beauty has no repeated items, so neither do samples');
      for (const i of h) assert.ok(inTrain.has(i), `item ${i} never occurs in training`);
    }
  });

  it('bad input: a clear error naming the key; sampling before fit', () => {
    assert.throws(() => new SequenceVaeSynthesizer({ latent: 0 }), (e: unknown) => e instanceof ConfigError && /latent/.test(e.message));
    assert.throws(() => new SequenceVaeSynthesizer({ layers: 2 }), (e: unknown) => e instanceof ConfigError && /layers/.test(e.message));
    assert.throws(() => new SequenceVaeSynthesizer({ temperature: 0 }), ConfigError);
    assert.throws(() => new SequenceVaeSynthesizer().sample(1, { seed: 0 }), ModelStateError);
  });
});
