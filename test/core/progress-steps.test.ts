/**
 * Long work beyond neural epochs reports `step(label, done, total)` — so a terminal shows a bar
 * with ETA: augment writing, the lift experiment's (arm, seed) runs and its full-ranking
 * evaluation, the Gaussian copula fit and the quality and privacy reports of a table synthesis.
 */
import { strict as assert } from 'node:assert';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { streamProgress, type ProgressReporter } from '../../src/core/index.ts';
import { augmentFile, parseExperimentConfig, parseSynthesizeConfig, runLiftExperiment, runSynthesis } from '../../src/experiment/index.ts';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(import.meta.dirname, '..', '..');
const SAMPLE = join(root, 'data/sample/beauty-sample.txt');
const PIPELINE = join(root, 'examples/pipelines/crop-reorder.yaml');

/** Every step call, and what a terminal shows for them (a fake TTY whose clock moves 1 s per update). */
function recording(): ProgressReporter & { steps: Map<string, { done: number; total: number }[]>; terminal: string[] } {
  const terminal: string[] = [];
  let t = 0;
  const tty = streamProgress({ isTTY: true, columns: 120, write: (s: string) => terminal.push(s) > 0 }, () => (t += 1000));
  const steps = new Map<string, { done: number; total: number }[]>();
  return {
    steps,
    terminal,
    line: () => {},
    step(label, done, total) {
      steps.set(label, [...(steps.get(label) ?? []), { done, total }]);
      tty.step!(label, done, total);
    },
  };
}

function assertCompleted(p: ReturnType<typeof recording>, label: string, total?: number): void {
  const s = p.steps.get(label);
  assert.ok(s && s.length > 0, `no step for '${label}'; labels: ${[...p.steps.keys()].join(', ')}`);
  const last = s.at(-1)!;
  assert.equal(last.done, last.total, `${label} ends at its total`);
  if (total !== undefined) assert.equal(last.total, total, label);
  // Within one pass (a label may run again, e.g. ranking once per arm and seed) done never goes back.
  for (let i = 1; i < s.length; i++) if (s[i - 1]!.done < s[i - 1]!.total) assert.ok(s[i]!.done >= s[i - 1]!.done, `${label} never goes back within a pass`);
}

describe('progress steps beyond neural epochs', () => {
  it('augment: samples written of users × views, with an ETA on a terminal', async () => {
    const p = recording();
    const r = await augmentFile({ data: SAMPLE, format: 'seqtxt', pipeline: PIPELINE, views: 2, seed: 0, out: join(tempFolder('steps-augment-'), 'aug.jsonl'), progress: p });
    assertCompleted(p, 'augment: samples written', r.users * 2);
    assert.ok(p.steps.get('augment: samples written')!.length >= 3, 'several updates, not just the end');
    assert.ok(p.terminal.some((w) => /augment: samples written \[#*-*\]\s+\d+ % \d+\/\d+ {2}ETA \d+ s/.test(w)), p.terminal.slice(0, 3).join(' | '));
  });

  it('lift experiment: the (arm, seed) runs and the full ranking of the test cases', async () => {
    const p = recording();
    const config = parseExperimentConfig({ name: 'steps', data: { path: SAMPLE, format: 'seqtxt' }, model: { model: 'pop' }, seeds: 2, arms: [{ name: 'crop', pipeline: PIPELINE }] });
    await runLiftExperiment({ config, baseDir: root, out: tempFolder('steps-lift-'), progress: p });
    assertCompleted(p, 'experiment: (arm, seed) runs', 4);
    assertCompleted(p, 'ranking the test cases', 2000);
    assert.ok(p.terminal.some((w) => /experiment: \(arm, seed\) runs \[.*\] +\d+ % [1-3]\/4 {2}ETA/.test(w)), 'the experiment bar has an ETA');
  });

  it('table synthesis: the copula columns, the quality report pairs and the privacy report stages', async () => {
    const p = recording();
    const dir = tempFolder('steps-synth-');
    const config = parseSynthesizeConfig({ name: 'events', data: { path: join(root, 'test/fixtures/data/shop-events.csv') }, synthesizer: { name: 'gaussian-copula' }, rows: 60, seed: 0, out: join(dir, 'events.csv'), report: { holdout: 0.25 } });
    await runSynthesis({ config, baseDir: dir, progress: p });
    assertCompleted(p, 'gaussian-copula: columns');
    assertCompleted(p, 'quality report: column pairs');
    assertCompleted(p, 'privacy report: stages', 6);
  });
});
