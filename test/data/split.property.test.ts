import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import fc from 'fast-check';
import { DataValidationError } from '../../src/core/errors.ts';
import { leaveOneOutSplit, readInteractions, readSequenceText, temporalSplit, type SequentialSplit, type SequenceDataset } from '../../src/data/index.ts';
import { assertAccounting, assertNoTemp, makeDataset, tempDir } from './helpers.ts';

const seqArb = fc.array(fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 9 }), { minLength: 1, maxLength: 12 });

/** Dataset with per-user non-decreasing timestamps drawn from a small range (so ties across users happen). */
const timedArb = seqArb.chain((seqs) =>
  fc.tuple(
    fc.constant(seqs),
    fc.tuple(...seqs.map((s) => fc.array(fc.integer({ min: 0, max: 20 }), { minLength: s.length, maxLength: s.length }).map((t) => t.sort((a, b) => a - b)))),
  ),
);

function multiset(pairs: Iterable<[number, number]>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [u, i] of pairs) m.set(`${u}:${i}`, (m.get(`${u}:${i}`) ?? 0) + 1);
  return m;
}
function allPairs(d: SequenceDataset): [number, number][] {
  return d.sequences.flatMap((s, u) => Array.from(s, (i) => [u, i] as [number, number]));
}
function splitPairs(sp: SequentialSplit): [number, number][] {
  const out: [number, number][] = [];
  for (let u = 0; u < sp.train.numUsers; u++) for (const i of sp.train.sequence(u)) out.push([u, i]);
  for (const c of [...sp.valid, ...sp.test]) out.push([c.user, c.target]);
  return out;
}
/** Targets are (user, position) pairs with position = history length; the TrainView must end before them. */
function assertNoLeak(d: SequenceDataset, sp: SequentialSplit): void {
  for (const c of [...sp.valid, ...sp.test]) {
    const s = d.sequences[c.user]!;
    const pos = c.history.length;
    assert.equal(s[pos], c.target, 'target is the item right after the history');
    assert.deepEqual(Array.from(c.history), Array.from(s.subarray(0, pos)), 'history is the exact prefix');
    assert.ok(sp.train.sequence(c.user).length <= pos, 'target position not reachable from TrainView');
  }
  for (let u = 0; u < sp.train.numUsers; u++) {
    const tr = sp.train.sequence(u);
    assert.deepEqual(Array.from(tr), Array.from(d.sequences[u]!.subarray(0, tr.length)), 'train is a prefix');
  }
}
function plain(sp: SequentialSplit): unknown {
  const train = Array.from({ length: sp.train.numUsers }, (_, u) => Array.from(sp.train.sequence(u)));
  const cases = (cs: typeof sp.valid) => cs.map((c) => [c.user, Array.from(c.history), c.target]);
  return { train, users: sp.train.users(), n: sp.train.interactionCount, valid: cases(sp.valid), test: cases(sp.test), summary: sp.summary };
}

describe('leave-one-out split properties', () => {
  it('train = s[:-2], valid/test targets never reachable, multiset preserved, deterministic', () => {
    fc.assert(
      fc.property(seqArb, (seqs) => {
        const d = makeDataset(seqs);
        const sp = leaveOneOutSplit(d);
        assertNoLeak(d, sp);
        for (let u = 0; u < seqs.length; u++) {
          const s = seqs[u]!;
          assert.deepEqual(Array.from(sp.train.sequence(u)), s.length >= 3 ? s.slice(0, -2) : s);
        }
        assert.deepEqual(multiset(splitPairs(sp)), multiset(allPairs(d)));
        assert.equal(sp.valid.length, seqs.filter((s) => s.length >= 3).length);
        assert.equal(sp.summary!.shortUsers, seqs.filter((s) => s.length < 3).length);
        assert.equal(sp.train.interactionCount, sp.train.users().reduce((a, u) => a + sp.train.sequence(u).length, 0));
        assert.deepEqual(plain(leaveOneOutSplit(d)), plain(sp));
        // Copies: mutating what the view hands out, or the dataset, changes nothing in the view.
        const before = plain(sp);
        sp.train.sequence(0).fill(99);
        (d.sequences[0] as Int32Array).fill(77);
        assert.deepEqual(plain(sp), before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('temporal split properties', () => {
  it('train strictly before validCut, targets after it, nothing reachable, multiset preserved with cold-start kept', () => {
    fc.assert(
      fc.property(timedArb, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), ([seqs, times], v, t) => {
        const d = makeDataset(seqs, times);
        const opts = { validFraction: v / 10, testFraction: t / 10, keepColdStart: true };
        const sp = temporalSplit(d, opts);
        assertNoLeak(d, sp);
        const { validCut, testCut } = sp.summary as { validCut: number; testCut: number };
        for (let u = 0; u < seqs.length; u++) {
          const n = sp.train.sequence(u).length;
          for (let j = 0; j < n; j++) assert.ok(times[u]![j]! < validCut);
        }
        for (const c of sp.valid) {
          const ts = times[c.user]![c.history.length]!;
          assert.ok(ts >= validCut && ts < testCut);
        }
        for (const c of sp.test) assert.ok(times[c.user]![c.history.length]! >= testCut);
        assert.deepEqual(multiset(splitPairs(sp)), multiset(allPairs(d)));
        assert.deepEqual(plain(temporalSplit(d, opts)), plain(sp));
        // Without cold start, exactly the empty-history targets disappear.
        const sp2 = temporalSplit(d, { validFraction: v / 10, testFraction: t / 10 });
        assert.equal(sp2.valid.length + sp2.test.length + sp2.summary!.coldStartSkipped!, sp.valid.length + sp.test.length);
        assert.ok([...sp2.valid, ...sp2.test].every((c) => c.history.length > 0));
      }),
      { numRuns: 300 },
    );
  });
});

describe('row accounting on random malformed files', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  // Fragments that exercise every rejection path: good rows, blanks, junk, bad bytes, quotes, CR.
  const token = fc.constantFrom('1', '2', '17', '0042', '-3', 'x', '1.5', '', ' ', '"', '""', ',', ';', '\t', '\r', 'é', '{', '}', ':', 'NaN', '1e999', '"a,b"', '"user"', 'item');
  const lineArb = fc.tuple(fc.array(token, { maxLength: 8 }), fc.constantFrom(' ', ',')).map(([ts, sep]) => ts.join(sep));
  const goodSeq = fc.tuple(fc.nat({ max: 9 }), fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 5 })).map(([u, is]) => [u, ...is].join(' '));
  const goodCsv = fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 20 }), fc.nat({ max: 100 })).map((r) => r.join(','));
  const fileOf = (good: fc.Arbitrary<string>) =>
    fc.tuple(fc.array(fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: lineArb, weight: 2 }), { minLength: 0, maxLength: 25 }), fc.boolean(), fc.boolean(), fc.array(fc.nat({ max: 60 }), { maxLength: 2 }));
  let k = 0;
  // Both outcomes must occur, or the generator is not testing what it claims.
  const outcomes = { read: 0, error: 0, rejected: 0 };

  function build([lines, bom, trailingNl, badBytesAt]: [string[], boolean, boolean, number[]], header?: string): Buffer {
    const text = (header !== undefined ? [header, ...lines] : lines).join('\n') + (trailingNl ? '\n' : '');
    let buf = Buffer.from(text);
    for (const at of badBytesAt) if (at < buf.length) buf = Buffer.concat([buf.subarray(0, at), Buffer.from([0xe9]), buf.subarray(at)]);
    return bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]) : buf;
  }
  /** Physical lines as the reader defines them: split on \n, no extra line after a final \n. */
  function physicalLines(buf: Buffer): number {
    if (buf.length === 0) return 0;
    let n = 0;
    for (const b of buf) if (b === 10) n++;
    return buf[buf.length - 1] === 10 ? n : n + 1;
  }

  async function check(read: () => Promise<{ report: import('../../src/data/index.ts').ReadReport }>, rej: string, expectedRows?: number): Promise<void> {
    try {
      const { report } = await read();
      outcomes.read++;
      if (report.rowsRejected > 0) outcomes.rejected++;
      assertAccounting(report);
      if (expectedRows !== undefined) assert.equal(report.rowsIn, expectedRows);
      const written = readFileSync(rej, 'utf-8').split('\n').filter(Boolean);
      assert.equal(written.length, report.rowsRejected);
    } catch (e) {
      // Allowed: a DataValidationError (empty file, header problems, zero kept rows). Never anything else.
      if (!(e instanceof DataValidationError)) throw e;
      outcomes.error++;
      if (existsSync(rej)) {
        // A zero-kept error still writes a complete rejected file: every line is a whole JSON object.
        for (const l of readFileSync(rej, 'utf-8').split('\n').filter(Boolean)) JSON.parse(l);
      }
    }
    assertNoTemp(tmp.dir);
  }

  it('seqtxt: rowsIn = physical lines = kept + rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fileOf(goodSeq), async (spec) => {
        const p = tmp.path(`s${++k}.txt`);
        const rej = tmp.path(`s${k}.rej.jsonl`);
        const buf = build(spec);
        writeFileSync(p, buf);
        const bomOnly = spec[1] && buf.length === 3;
        await check(() => readSequenceText(p, { rejectedPath: rej }), rej, bomOnly ? 0 : physicalLines(buf));
      }),
      { numRuns: 60 },
    );
    assert.ok(outcomes.read > 5 && outcomes.error > 0 && outcomes.rejected > 5, JSON.stringify(outcomes));
  });
  it('csv (quoted): kept + rejected = rows; unquoted csv: rows = physical lines - header', async () => {
    Object.assign(outcomes, { read: 0, error: 0, rejected: 0 });
    await fc.assert(
      fc.asyncProperty(fileOf(goodCsv), fc.boolean(), async (spec, quoted) => {
        const p = tmp.path(`c${++k}.csv`);
        const rej = tmp.path(`c${k}.rej.jsonl`);
        const buf = build([spec[0], false, spec[2], spec[3]], 'user,item,ts');
        writeFileSync(p, buf);
        await check(
          () => readInteractions(p, { format: 'csv', columns: { user: 'user', item: 'item', timestamp: 'ts' }, quote: quoted ? '"' : null, rejectedPath: rej }),
          rej,
          quoted ? undefined : physicalLines(buf) - 1,
        );
      }),
      { numRuns: 60 },
    );
    assert.ok(outcomes.read > 5 && outcomes.error > 0 && outcomes.rejected > 5, JSON.stringify(outcomes));
  });
  it('jsonl: rowsIn = physical lines', async () => {
    const jsonLine = fc.oneof(
      fc.record({ user: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), item: fc.oneof(fc.string({ maxLength: 3 }), fc.double()), ts: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })) }).map((o) => JSON.stringify(o)),
      lineArb,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(jsonLine, { maxLength: 20 }), async (lines) => {
        const p = tmp.path(`j${++k}.jsonl`);
        const rej = tmp.path(`j${k}.rej.jsonl`);
        const buf = Buffer.from(lines.join('\n'));
        writeFileSync(p, buf);
        await check(() => readInteractions(p, { format: 'jsonl', columns: { user: 'user', item: 'item', timestamp: 'ts' }, rejectedPath: rej }), rej, physicalLines(buf));
      }),
      { numRuns: 60 },
    );
  });
});
