import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, Rng } from '../../src/core/index.ts';
import { readAnySynthesizeConfig, runSequenceSynthesis } from '../../src/experiment/index.ts';
import { createSequenceSynthesizer } from '../../src/synth/index.ts';
import { loadIdMaps } from '../../src/data/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'samplify-synth-seq-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// 150 users over 12 items (ids 100–111), short walks (+1 or +2 around a cycle) with strong structure, so the Markov chain
// reproduces some real histories exactly: the copy filter has something to do.
const rng = new Rng(5);
const realLines: string[] = [];
for (let u = 0; u < 150; u++) {
  const len = 3 + rng.int(3);
  let at = rng.int(12);
  const items: string[] = [];
  for (let t = 0; t < len; t++) {
    items.push(`${100 + at}`);
    at = (at + 1 + rng.int(2)) % 12;
  }
  realLines.push(`${u + 1} ${items.join(' ')}`);
}
realLines.push('151');   // a user with no items: rejected and counted, not silently dropped
writeFileSync(join(tmp, 'histories.txt'), realLines.join('\n') + '\n');

function config(extra: string, name = 'c.yaml'): string {
  const p = join(tmp, name);
  writeFileSync(p, `name: seq\ndata: { path: histories.txt }\nsynthesizer: { name: markov }\nseed: 2\n${extra}`);
  return p;
}

test('synthesize CLI with a sequence synthesizer: synthetic users with original ids, no copies, model + ids + report + provenance', async () => {
  const cfg = config('out: out/users.jsonl\nhistories: 120\n');
  const a = cli(['synthesize', cfg]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /151 rows in = 150 kept \+ 1 rejected/);
  assert.match(a.stdout, /120 synthetic users written to out\/users\.jsonl/);
  const rows = readFileSync(join(tmp, 'out/users.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: string; items: string[] });
  assert.equal(rows.length, 120);
  const real = new Set(realLines.slice(0, 150).map((l) => l.split(' ').slice(1).join(' ')));
  for (const r of rows) {
    assert.match(r.user, /^synthetic-\d+$/);
    assert.ok(r.items.length >= 1 && r.items.every((i) => /^1(0\d|1[01])$/.test(i)), `original item ids: ${r.items}`);
    assert.ok(!real.has(r.items.join(' ')), 'no synthetic history equals a real one');
  }
  const prov = JSON.parse(readFileSync(join(tmp, 'out/users.provenance.json'), 'utf8'));
  assert.ok(prov.sample.exactCopiesRemoved > 0, 'the structured toy makes copies, and they are counted');
  assert.equal(prov.sample.histories, 120);
  assert.equal(prov.input.rowsRejected, 1);
  // The saved model samples what the fitted one did (ids are dense; the id map restores them).
  const m = createSequenceSynthesizer('markov');
  m.load(join(tmp, 'out/users.model.json'));
  const ids = JSON.parse(readFileSync(join(tmp, 'out/users.ids.json'), 'utf8')) as { itemIds: string[] };
  const first = m.sample(1, { seed: 2 })[0]!;
  assert.ok(Array.from(first).every((i) => /^1(0\d|1[01])$/.test(ids.itemIds[i]!)));
  // Same seed → byte-identical output.
  const again = cli(['synthesize', cfg, '--out', 'out/again.jsonl']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(tmp, 'out/again.jsonl'), 'utf8'), readFileSync(join(tmp, 'out/users.jsonl'), 'utf8'));
});

test('synthesize with a sequence synthesizer: seqtxt output; bad keys and params are ConfigErrors before any output', async () => {
  // Output paths are relative to the working directory (the CLI's cwd), so the API call gets an absolute one.
  const txt = readAnySynthesizeConfig(config(`out: ${join(tmp, 'out/users.txt')}\nreport: { holdout: 0.2 }\n`, 'txt.yaml'));
  assert.equal(txt.config.kind, 'sequences');
  if (txt.config.kind !== 'sequences') return;
  const r = await runSequenceSynthesis({ config: txt.config.config, baseDir: txt.baseDir });
  assert.equal(r.histories, 120, 'default: as many synthetic users as real ones fitted (150 − 30 held out)');
  const report = JSON.parse(readFileSync(join(tmp, 'out/users.report.json'), 'utf8'));
  assert.deepEqual([report.users.fit, report.users.holdout, report.users.synthetic], [120, 30, 120]);
  assert.equal(report.privacy.exactCopies.count, 0, 'copies of fitted histories were removed');
  const line = readFileSync(join(tmp, 'out/users.txt'), 'utf8').split('\n')[0]!;
  assert.match(line, /^synthetic-1( 1(0\d|1[01]))+$/);
  // Nearest real users, in the original item ids, and the DCR histogram; both on the page.
  const ex = report.privacy.nearestExamples.rows as { why: string; distance: number; synthetic: string[]; nearest: string[] }[];
  assert.equal(ex.length, 10);
  for (const e of ex) assert.ok([...e.synthetic, ...e.nearest].every((i) => /^1(0\d|1[01])$/.test(i)), JSON.stringify(e));
  assert.ok(ex.slice(5).every((e) => e.distance >= ex[4]!.distance), 'the closest five come first');
  assert.equal(report.privacy.dcr.histogram.synthetic.length, 25);
  const { buildReport } = await import('../../src/report/index.ts');
  // out/ also holds the first test's runs: the page is built from a folder with this run alone.
  const only = join(tmp, 'page');
  mkdirSync(only);
  for (const f of ['users.txt', 'users.report.json', 'users.provenance.json']) copyFileSync(join(tmp, 'out', f), join(only, f));
  const page = await buildReport(only);
  assert.equal(page.kind, 'synthesize-sequences');
  assert.match(page.html, /id="nearest-histories"/);
  assert.match(page.html, /data-chart="dcr"/);
  assert.match(page.html, /share of records/);

  assert.throws(() => readAnySynthesizeConfig(config('out: out/u.csv\n', 'bad-out.yaml')), (e: unknown) => e instanceof ConfigError && e.location.field === 'out');
  assert.throws(() => readAnySynthesizeConfig(config('out: out/u.jsonl\nrows: 5\n', 'bad-key.yaml')), (e: unknown) => e instanceof ConfigError && /rows/.test(e.message));
  const badPath = join(tmp, 'bad-param.yaml');
  writeFileSync(badPath, `data: { path: histories.txt }\nsynthesizer: { name: vae, params: { latent: 0 } }\nout: ${join(tmp, 'out/never.jsonl')}\n`);
  // A bad synthesizer param is a ConfigError at config parse time (synthesizer.params.latent), before any work.
  assert.throws(() => readAnySynthesizeConfig(badPath), (e: unknown) => e instanceof ConfigError && /latent/.test(`${e.location.field} ${e.message}`));
  assert.ok(!existsSync(join(tmp, 'out/never.jsonl')), 'nothing written');
  const viaCli = cli(['synthesize', badPath]);
  assert.equal(viaCli.code, 2);
  assert.doesNotMatch(viaCli.stderr, /\n\s+at /, 'no stack trace');
});

// A shop's event log: view → cart → purchase of the same item, nothing else follows a view with a
// purchase, and a purchase is followed by a view. 120 users, 20 items, shuffled file order (the
// reader restores time order).
const eventRng = new Rng(9);
const eventRows: string[] = [];
for (let u = 0; u < 120; u++) {
  let ts = 1000;
  const target = 4 + eventRng.int(6);
  let made = 0;
  while (made < target) {
    const item = `sku${eventRng.int(20)}`;
    eventRows.push(`u${u},${item},${ts++},view`), made++;
    if (eventRng.next() < 0.5) {
      eventRows.push(`u${u},${item},${ts++},cart`), made++;
      if (eventRng.next() < 0.6) eventRows.push(`u${u},${item},${ts++},purchase`), made++;
    }
  }
}
eventRows.push('u999,sku1,5,refund'); // an event type outside the declared funnel: a rejected row
eventRng.shuffle(eventRows);
writeFileSync(join(tmp, 'events.csv'), `user,item,ts,event\n${eventRows.join('\n')}\n`);

function eventConfig(synth: string, out: string, name: string): string {
  const p = join(tmp, name);
  const params = synth === 'autoregressive' ? ', params: { epochs: 2, network: { hidden: 16, blocks: 1, heads: 1, maxLen: 20 } }' : '';
  writeFileSync(
    p,
    `data: { path: events.csv, format: csv, columns: { user: user, item: item, timestamp: ts, eventType: event }, eventTypes: [view, cart, purchase] }\n` +
      `synthesizer: { name: ${synth}${params} }\nseed: 1\nout: ${out}\nreport: { holdout: 0.2 }\n`,
  );
  return p;
}

test('synthesize histories with event types (markov and autoregressive): JSONL with events, never an event transition the data lacks', async () => {
  for (const synth of ['markov', 'autoregressive']) {
    const out = join(tmp, `out/events-${synth}.jsonl`);
    const cfg = readAnySynthesizeConfig(eventConfig(synth, out, `ev-${synth}.yaml`));
    if (cfg.config.kind !== 'sequences') return assert.fail('sequence config expected');
    const r = await runSequenceSynthesis({ config: cfg.config.config, baseDir: cfg.baseDir });
    assert.equal(r.histories, 96, '120 users, 24 held out for the report');
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: string; items: string[]; events: string[] });
    let purchases = 0;
    for (const row of rows) {
      assert.equal(row.items.length, row.events.length);
      assert.ok(row.items.every((i) => /^sku\d+$/.test(i)));
      for (let t = 1; t < row.events.length; t++) {
        const pair = `${row.events[t - 1]}>${row.events[t]}`;
        assert.ok(!['view>purchase', 'cart>cart', 'purchase>cart', 'purchase>purchase'].includes(pair), `${synth} wrote ${pair}`);
        if (row.events[t] === 'purchase') purchases++;
      }
    }
    assert.ok(purchases > 10, `${synth}: purchases are generated (${purchases})`);
    const report = JSON.parse(readFileSync(r.qualityReport!, 'utf8'));
    assert.equal(report.events.unseenTransitions, 0);
    assert.deepEqual(report.events.types, ['view', 'cart', 'purchase']);
    assert.ok(report.events.shareTvDistance < 0.2, `${synth}: event shares ${JSON.stringify(report.events)}`);
    const prov = JSON.parse(readFileSync(r.provenance, 'utf8'));
    assert.equal(prov.input.rowsRejected, 1, 'the refund row is rejected and counted');
    assert.deepEqual(JSON.parse(readFileSync(r.idMap, 'utf8')).eventTypes, ['view', 'cart', 'purchase']);
    assert.deepEqual(loadIdMaps(r.idMap).eventTypes, ['view', 'cart', 'purchase'], 'the id map reader keeps the event names');
  }
});

test('event types: a synthesizer that cannot model them, a seqtxt output and a csv without columns are ConfigErrors naming the key', async () => {
  const vae = readAnySynthesizeConfig(eventConfig('vae', join(tmp, 'out/never-ev.jsonl'), 'ev-vae.yaml'));
  if (vae.config.kind !== 'sequences') return assert.fail('sequence config expected');
  await assert.rejects(runSequenceSynthesis({ config: vae.config.config, baseDir: vae.baseDir }), (e: unknown) => e instanceof ConfigError && e.location.field === 'synthesizer.name');
  assert.ok(!existsSync(join(tmp, 'out/never-ev.jsonl')));
  assert.throws(() => readAnySynthesizeConfig(eventConfig('markov', 'out/ev.txt', 'ev-txt.yaml')), (e: unknown) => e instanceof ConfigError && e.location.field === 'out');
  const noCols = join(tmp, 'ev-nocols.yaml');
  writeFileSync(noCols, 'data: { path: events.csv, format: csv }\nsynthesizer: { name: markov }\nout: out/x.jsonl\n');
  assert.throws(() => readAnySynthesizeConfig(noCols), (e: unknown) => e instanceof ConfigError && /columns/.test(e.location.field ?? ''));
  const noEventCol = join(tmp, 'ev-noevcol.yaml');
  writeFileSync(noEventCol, 'data: { path: events.csv, format: csv, columns: { user: user, item: item }, eventTypes: [view] }\nsynthesizer: { name: markov }\nout: out/x.jsonl\n');
  assert.throws(() => readAnySynthesizeConfig(noEventCol), (e: unknown) => e instanceof ConfigError && /eventTypes/.test(e.location.field ?? ''));
  const seqtxtEvents = join(tmp, 'ev-seqtxt.yaml');
  writeFileSync(seqtxtEvents, 'data: { path: histories.txt, format: seqtxt, columns: { user: u, item: i, eventType: e } }\nsynthesizer: { name: markov }\nout: out/x.jsonl\n');
  assert.throws(() => readAnySynthesizeConfig(seqtxtEvents), (e: unknown) => e instanceof ConfigError && /format/.test(e.location.field ?? ''));
});
