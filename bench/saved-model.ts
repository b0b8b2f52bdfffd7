/**
 * Loading a synthesizer saved by `bench/synth-report.ts --save-models` (or the epoch study's
 * --save-model) for sampling-side studies, without refitting.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stderrProgress } from '../src/core/index.ts';
import type { Table, TableMetadata } from '../src/data/index.ts';
import { type GuardState, SampleGuard, type Synthesizer, createSynthesizer } from '../src/synth/index.ts';

interface SavedModel {
  kind: string;
  config: Record<string, unknown>;
  guard: GuardState;
}

/**
 * The model at `path` with `overrides` merged into its saved config (a copy of the file is loaded).
 * A model saved before its sample guard recorded category counts gets the guard refitted on the
 * same training rows — the guard is a function of them — so rare-category quotas apply to it too.
 */
export function loadSavedSynthesizer(path: string, train: Table, metadata: TableMetadata, overrides: Record<string, unknown> = {}): Synthesizer {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedModel;
  if (saved.guard.counts === undefined) {
    saved.guard = SampleGuard.fit(train, metadata, { constraints: saved.guard.constraints, removeExactCopies: saved.guard.removeExactCopies }).toJSON();
    stderrProgress.line(`${path}: the saved guard has no category counts; refitted on the training rows`);
  }
  const copy = join(tmpdir(), `samplify-saved-model-${process.pid}.json`);
  writeFileSync(copy, JSON.stringify({ ...saved, config: { ...saved.config, ...overrides } }));
  try {
    const synth = createSynthesizer(saved.kind, {});
    synth.load(copy);
    return synth;
  } finally {
    rmSync(copy, { force: true });
  }
}
