/**
 * The recipe procedure: screen every candidate at a reduced budget, choose on validation only,
 * confirm the choice against the baseline at the full budget; the cost of each phase is recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../src/core/index.ts';
import { parseExperimentConfig, parseRecipeExperimentConfig, runLiftExperiment, runRecipeExperiment } from '../../src/experiment/index.ts';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');
const dir = tempFolder('samplify-recipe-');
const data = join(dir, 'seqs.txt');
writeFileSync(data, Array.from({ length: 80 }, (_, u) => `${u + 1} ${Array.from({ length: 7 }, (_, k) => 1 + ((u * 7 + k * 3 + (u % 5) * k) % 45)).join(' ')}`).join('\n') + '\n');

const raw = (extra: Record<string, unknown> = {}) => ({
  name: 'recipe',
  data: { path: data, format: 'seqtxt' },
  model: { model: 'itemknn' },
  seeds: 3,
  procedure: { screen: { seeds: 1 }, confirm: { seeds: 2 } },
  arms: [
    { name: 'crop-reorder', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml') },
    { name: 'crop-reorder-x3', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml'), views: 3 },
  ],
  ...extra,
});

/**
 * Runs the recipe in `out` while "another process" (a live `sleep`) holds the screen's seed-0 run of
 * `arm`: `whileHeld` is called (with the log so far) before the holder goes away, and its result
 * is returned with the procedure's.
 */
async function runWithHeldScreenRun<T>(out: string, arm: string, whileHeld: (lines: string[]) => Promise<T>): Promise<{ held: T; result: Awaited<ReturnType<typeof runRecipeExperiment>>; lines: string[] }> {
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  mkdirSync(join(out, 'screen', 'arms', arm, 'seeds'), { recursive: true });
  writeFileSync(join(out, 'screen', 'arms', arm, 'seeds', 'seed0.lock'), String(holder.pid));
  const lines: string[] = [];
  const running = runRecipeExperiment({ config: parseRecipeExperimentConfig(raw()), baseDir: dir, out, claimPollMs: 20, progress: { line: (l) => void lines.push(l) } });
  const held = await whileHeld(lines);
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  return { held, result: await running, lines };
}

/** Polls every 20 ms until `done()` or `tries` polls. */
async function until(done: () => boolean, tries: number): Promise<void> {
  for (let t = 0; t < tries && !done(); t++) await new Promise((r) => setTimeout(r, 20));
}

test('recipe: the screen ranks candidates on validation, the chosen one is confirmed with the confirm budget', async () => {
  const out = join(dir, 'run');
  const r = await runRecipeExperiment({ config: parseRecipeExperimentConfig(raw()), baseDir: dir, out });
  const screen = JSON.parse(readFileSync(join(out, 'screen', 'results.json'), 'utf8'));
  assert.equal(screen.seeds.length, 1, 'screen at the reduced budget');
  const base = screen.arms[0].valid['NDCG@20'];
  const best = [...screen.arms.slice(1)].sort((a: { valid: Record<string, number> }, b: { valid: Record<string, number> }) => b.valid['NDCG@20']! - a.valid['NDCG@20']!)[0];
  const expected = best.valid['NDCG@20'] > base ? best.name : null;
  assert.equal(r.chosen, expected, 'chosen = best validation metric, if it beats the baseline');
  assert.ok(expected, 'this fixture makes a candidate win on validation, so the confirm phase runs');
  const summary = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(summary.kind, 'recipe');
  assert.ok(!JSON.stringify(summary.screen).includes('"test"'), "the screen's test numbers are not part of the choice or its summary");
  assert.ok(summary.cost.screenSeconds > 0);
  assert.ok(summary.cost.screenRunSeconds > 0, 'the run time the screen\'s runs recorded');
  assert.ok(summary.cost.confirmRunSeconds >= 0);
  if (expected) {
    const confirm = JSON.parse(readFileSync(join(out, 'confirm', 'results.json'), 'utf8'));
    assert.deepEqual(confirm.seeds, [0, 1]);
    assert.deepEqual(confirm.arms.map((a: { name: string }) => a.name), ['baseline', expected]);
    assert.equal(summary.confirm.arm.name, expected);
    assert.ok(summary.confirm.arm.significance.tTest.pValue >= 0);
  } else assert.equal(existsSync(join(out, 'confirm')), false);
});

test('recipe: a process that finds a screen run held by another process waits for it and goes on to the confirmation, instead of stopping', async () => {
  const out = join(dir, 'shared');
  const waiting = /waiting for crop-reorder\/seed0: other processes sharing .* are training them/;
  const { held: waitedWhileHeld, result: r, lines } = await runWithHeldScreenRun(out, 'crop-reorder', async (lines) => {
    await until(() => lines.some((l) => waiting.test(l)), 250);
    return lines.some((l) => waiting.test(l)) && !existsSync(join(out, 'screen', 'results.json'));
  });
  assert.ok(waitedWhileHeld, lines.join('\n'));
  assert.ok(existsSync(join(out, 'results.json')), 'the procedure ran to its end in this process');
  assert.equal(r.chosen, JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8')).chosen, 'the same choice as the run with no other process');
});

test("recipe: while another process holds a screen run, a finished candidate that already beats the baseline starts the confirmation's baseline here; the results are those of one process", async () => {
  const alone = JSON.parse(readFileSync(join(dir, 'run', 'results.json'), 'utf8'));
  const other = raw().arms.map((a) => a.name).find((n) => n !== alone.chosen)!;
  const out = join(dir, 'speculative');
  const baselineSeeds = [0, 1].map((s) => join(out, 'confirm', 'arms', 'baseline', 'seeds', `seed${s}.json`));
  const { held: trainedWhileHeld, result: r, lines } = await runWithHeldScreenRun(out, other, async () => {
    await until(() => baselineSeeds.every((f) => existsSync(f)), 500);
    return baselineSeeds.every((f) => existsSync(f)) && !existsSync(join(out, 'screen', 'results.json'));
  });
  assert.ok(trainedWhileHeld, `the confirmation's baseline seeds were trained while the screen waited:\n${lines.join('\n')}`);
  assert.ok(lines.some((l) => l.includes(`${alone.chosen} leads on validation`)), lines.join('\n'));
  assert.equal(r.chosen, alone.chosen);
  const confirm = (folder: string) => JSON.parse(readFileSync(join(dir, folder, 'confirm', 'results.json'), 'utf8')).arms.map((a: { name: string; test: unknown; valid: unknown }) => [a.name, a.test, a.valid]);
  assert.deepEqual(confirm('speculative'), confirm('run'), 'the same confirmation as one process running it all');
});

test('recipe: a screen whose finished runs do not yet decide a choice starts nothing of the confirmation', async () => {
  const out = join(dir, 'undecided');
  // The baseline's screen run is held, so no candidate can be known to beat it.
  const { held: startedConfirm, lines } = await runWithHeldScreenRun(out, 'baseline', async (lines) => {
    await until(() => lines.some((l) => /waiting for baseline\/seed0/.test(l)), 500);
    await new Promise((r) => setTimeout(r, 100));
    return existsSync(join(out, 'confirm'));
  });
  assert.ok(lines.some((l) => /waiting for baseline\/seed0/.test(l)), lines.join('\n'));
  assert.equal(startedConfirm, false, 'no confirmation run before the screen decides');
});

test('recipe: with a margin no candidate clears, nothing is confirmed and no expansion is recommended', async () => {
  const out = join(dir, 'strict');
  const r = await runRecipeExperiment({ config: parseRecipeExperimentConfig(raw({ procedure: { screen: { seeds: 1 }, confirm: { seeds: 2 }, minValidLift: 1 } })), baseDir: dir, out });
  assert.equal(r.chosen, null);
  assert.equal(r.confirm, null);
  assert.equal(existsSync(join(out, 'confirm')), false);
  assert.equal(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).chosen, null);
});

test('recipe config: unknown procedure keys fail at parse time with their path', () => {
  assert.throws(() => parseRecipeExperimentConfig(raw({ procedure: { screen: { seeds: 1, epoks: 3 } } })), (e: unknown) => e instanceof ConfigError && /epoks/.test(e.message));
});

const withoutProcedure = ({ procedure: _procedure, ...rest }: Record<string, unknown>) => rest;

test("recipe: the confirm phase continues the screen's seed-0 trainings from their checkpoints and ends exactly where training from scratch ends", async () => {
  const sasrec = { model: 'sasrec', config: { hidden: 8, heads: 1, blocks: 1, maxLen: 8, dropout: 0.1, attnDropout: 0.1, loss: 'ce' }, trainer: { batchSize: 32 } };
  const arms = [{ name: 'crop-reorder', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml'), views: 2 }];
  const procedure = { screen: { seeds: 1, epochs: 2, patience: 50 }, confirm: { seeds: 2, epochs: 4, patience: 50 }, minValidLift: 0 };
  const out = join(dir, 'continue');
  const lines: string[] = [];
  const r = await runRecipeExperiment({ config: parseRecipeExperimentConfig(raw({ model: sasrec, arms, procedure })), baseDir: dir, out, progress: { line: (l) => lines.push(l) } });
  assert.equal(r.chosen, 'crop-reorder', 'on this fixture the candidate beats the baseline on validation (deterministic), so the confirm phase runs');
  assert.ok(lines.some((l) => /continues the screen's training of baseline\/seed 0, crop-reorder\/seed 0/.test(l)), lines.join('\n'));
  assert.equal(lines.filter((l) => /resuming from checkpoint after epoch 2/.test(l)).length, 2, 'both seed-0 runs resume after the screen epochs');
  // The same confirm phase trained from scratch (its own folder, nothing copied) gives the same numbers.
  const scratch = await runLiftExperiment({ config: parseExperimentConfig({ ...withoutProcedure(raw({ model: sasrec, arms })), name: 'recipe-confirm', seeds: 2, epochs: 4, patience: 50 }), baseDir: dir, out: join(dir, 'scratch') });
  const confirm = JSON.parse(readFileSync(join(out, 'confirm', 'results.json'), 'utf8')) as { arms: { name: string; test: unknown; valid: unknown }[] };
  assert.deepEqual(confirm.arms.map((a) => [a.name, a.test, a.valid]), scratch.arms.map((a) => [a.name, a.test, a.valid]));
  // With a different patience the early-stopping state would not carry over: nothing is continued.
  const strict = join(dir, 'continue-patience');
  const lines2: string[] = [];
  await runRecipeExperiment({ config: parseRecipeExperimentConfig(raw({ model: sasrec, arms, procedure: { ...procedure, confirm: { seeds: 1, epochs: 3, patience: 1 } } })), baseDir: dir, out: strict, progress: { line: (l) => lines2.push(l) } });
  assert.ok(!lines2.some((l) => /continues the screen's training/.test(l)));
});

test("recipe: runs still improving at the screen's epoch cap are named, in the log, the table and results.json", async () => {
  const sasrec = { model: 'sasrec', config: { hidden: 8, heads: 1, blocks: 1, maxLen: 8, dropout: 0.1, attnDropout: 0.1, loss: 'ce' }, trainer: { batchSize: 32 } };
  const arms = [{ name: 'crop-reorder', pipeline: join(root, 'examples/pipelines/crop-reorder.yaml') }];
  // One screen epoch: its only epoch is every run's best, so every run is cut off while improving.
  const out = join(dir, 'at-cap');
  const lines: string[] = [];
  const r = await runRecipeExperiment({ config: parseRecipeExperimentConfig(raw({ model: sasrec, arms, procedure: { screen: { seeds: 1, epochs: 1 }, confirm: { seeds: 1, epochs: 1 }, minValidLift: 1 } })), baseDir: dir, out, progress: { line: (l) => lines.push(l) } });
  assert.deepEqual(r.screen.stillImproving, ['baseline/seed 0', 'crop-reorder/seed 0']);
  assert.ok(lines.some((l) => /baseline\/seed 0, crop-reorder\/seed 0 reached the screen's best validation NDCG@20 at its last epoch \(1\)/.test(l)), lines.join('\n'));
  assert.match(r.table, /still improving at the screen's epoch cap: baseline\/seed 0, crop-reorder\/seed 0/);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).screen.stillImproving, ['baseline/seed 0', 'crop-reorder/seed 0']);
  // A model without epochs (ItemKNN) is never "still improving".
  const knn = await runRecipeExperiment({ config: parseRecipeExperimentConfig(raw({ procedure: { screen: { seeds: 1, epochs: 1 }, confirm: { seeds: 2 }, minValidLift: 1 } })), baseDir: dir, out: join(dir, 'at-cap-knn') });
  assert.deepEqual(knn.screen.stillImproving, []);
});
