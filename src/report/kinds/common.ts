/** Pieces several run kinds share: evaluation results, per-seed records, training curves, timings, metric@K. */
import { z } from 'zod';
import { readCheckpoint } from '../../nn/index.ts';
import { barSpec, figure, lineSpec, type Datum } from '../charts.ts';
import { fmt, html, note, table, type Html } from '../html.ts';
import type { RunFolder } from '../run-folder.ts';

export const metricsSchema = z.record(z.string(), z.number());

/** A finished seed (seeds/seedN.json's result). */
export const seedResultSchema = z
  .object({
    seed: z.number(),
    valid: metricsSchema,
    test: metricsSchema,
    bestEpoch: z.number().optional(),
    epochs: z.number().optional(),
    fitSeconds: z.number().optional(),
    evalSeconds: z.number().optional(),
    secondsPerEpoch: z.number().nullable().optional(),
    resumed: z.boolean().optional(),
    peakRssMiB: z.number().optional(),
  })
  .loose();
export type SeedRecord = z.infer<typeof seedResultSchema>;

/** What `samplify evaluate` (and every arm of a lift experiment) writes as results.json. */
export const evaluateResultsSchema = z
  .object({
    samplify: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    dataset: z.record(z.string(), z.unknown()).optional(),
    valid: metricsSchema,
    test: metricsSchema,
    validStd: metricsSchema.optional(),
    testStd: metricsSchema.optional(),
    seeds: z.array(seedResultSchema),
    backend: z.record(z.string(), z.unknown()).optional(),
    machine: z.record(z.string(), z.unknown()).optional(),
    pendingSeeds: z.array(z.number()).optional(),
    command: z.string().nullable().optional(),
  })
  .loose();
export type EvaluateResults = z.infer<typeof evaluateResultsSchema>;

const seedFileSchema = z.object({ fingerprint: z.unknown(), result: seedResultSchema }).loose();

/** The seeds recorded under `<prefix>seeds/` (seed files are the run store's records). */
export function readSeedRecords(run: RunFolder, prefix: string): SeedRecord[] {
  const files = run.list(`${prefix}seeds`).filter((f) => /^seed\d+\.json$/.test(f));
  const out: SeedRecord[] = [];
  for (const f of files) {
    const r = run.readJson(`${prefix}seeds/${f}`, seedFileSchema, 'this seed is left out of the timing chart');
    if (r) out.push(r.result);
  }
  return out.sort((a, b) => a.seed - b.seed);
}

const epochLogSchema = z.object({ epoch: z.number(), loss: z.number().optional(), seconds: z.number().optional(), valid: metricsSchema.optional() }).loose();

/** Per-epoch logs kept in each seed's checkpoint (`<prefix>checkpoints/seedN/checkpoint.bin`). */
export function readCurves(run: RunFolder, prefix: string, label: string): Datum[] {
  const rows: Datum[] = [];
  for (const d of run.list(`${prefix}checkpoints`).filter((f) => /^seed\d+$/.test(f))) {
    const rel = `${prefix}checkpoints/${d}/checkpoint.bin`;
    const abs = run.path(rel);
    if (abs === null || !run.has(rel)) continue;
    let meta: Record<string, unknown> | undefined;
    try {
      meta = readCheckpoint(abs)?.meta;
    } catch (e) {
      run.note({ file: rel, problem: 'unreadable', detail: (e as Error).message, consequence: `no training curve for ${label}, ${d}` });
      continue;
    }
    const logs = run.check(rel, z.array(epochLogSchema), meta?.['logs'] ?? [], `no training curve for ${label}, ${d}`);
    for (const l of logs ?? []) {
      const base = { run: `${label} · ${d}`, arm: label, seed: d, epoch: l.epoch };
      if (l.loss !== undefined && Number.isFinite(l.loss)) rows.push({ ...base, series: 'training loss', value: l.loss });
      for (const [m, v] of Object.entries(l.valid ?? {})) if (Number.isFinite(v)) rows.push({ ...base, series: `validation ${m}`, value: v });
    }
  }
  return rows;
}

/** Training-loss and validation-metric curves, one line per (arm, seed); a note when nothing trained per epoch. */
export async function curveFigures(rows: readonly Datum[]): Promise<Html> {
  if (rows.length === 0) return note('No per-epoch logs in this run folder (a model without epochs, or the checkpoints were removed), so there are no training curves.');
  const series = [...new Set(rows.map((r) => String(r['series'])))].sort((a, b) => (a === 'training loss' ? -1 : b === 'training loss' ? 1 : a.localeCompare(b)));
  const figs: Html[] = [];
  for (const s of series) {
    const values = rows.filter((r) => r['series'] === s);
    figs.push(await figure(`curve-${s.replace(/[^A-Za-z0-9]+/g, '-')}`, `${s} per epoch, one line per arm and seed`, lineSpec(values, { x: 'epoch', y: 'value', yTitle: s, color: 'run' })));
  }
  return html`<div class="charts">${figs}</div>`;
}

/** Fit and evaluation seconds per (arm, seed) as stacked bars; memory is not recorded by these runs. */
/** A stage of a run before or after its seeds (reading the data, fitting shared generators, aggregating). */
export const stageSchema = z.object({ stage: z.string(), seconds: z.number(), peakRssMiB: z.number().optional() }).loose();
export type StageRecord = z.infer<typeof stageSchema>;

export async function timingFigure(records: readonly { label: string; seeds: readonly SeedRecord[] }[], stages: readonly StageRecord[] = []): Promise<Html> {
  const values: Datum[] = [];
  for (const { label, seeds } of records) {
    for (const s of seeds) {
      if (s.fitSeconds !== undefined) values.push({ run: `${label} · seed ${s.seed}`, stage: 'fit', seconds: s.fitSeconds });
      if (s.evalSeconds !== undefined) values.push({ run: `${label} · seed ${s.seed}`, stage: 'evaluate', seconds: s.evalSeconds });
    }
  }
  for (const st of stages) values.push({ run: st.stage, stage: st.stage, seconds: st.seconds });
  if (values.length === 0) return note('No per-seed timings recorded.');
  const rows = records.flatMap(({ label, seeds }) => seeds.map((s) => [label, String(s.seed), fmt(s.fitSeconds, 1), fmt(s.evalSeconds, 1), s.epochs ?? '—', s.bestEpoch ?? '—', fmt(s.secondsPerEpoch, 2), s.resumed ? 'yes' : 'no', fmt(s.peakRssMiB, 0)]));
  // Peak RSS so far, in the order the run went through its stages: a step up is the stage that needed the memory.
  const memory: Datum[] = [
    ...stages.filter((st) => st.peakRssMiB !== undefined && st.stage !== 'aggregate').map((st) => ({ step: st.stage, mib: st.peakRssMiB! })),
    ...records.flatMap(({ label, seeds }) => seeds.filter((s) => s.peakRssMiB !== undefined).map((s) => ({ step: `${label} · seed ${s.seed}`, mib: s.peakRssMiB! }))),
    ...stages.filter((st) => st.peakRssMiB !== undefined && st.stage === 'aggregate').map((st) => ({ step: st.stage, mib: st.peakRssMiB! })),
  ];
  const stageTable = stages.length ? table(['stage', 'seconds', 'peak RSS MiB'], stages.map((st) => [st.stage, fmt(st.seconds, 1), fmt(st.peakRssMiB, 0)]), { numeric: [1, 2], id: 'stages' }) : '';
  const memoryChart = memory.length ? await figure('memory-per-stage', 'Peak resident memory (MiB) at the end of each stage and seed run', barSpec(memory, { x: 'step', y: 'mib', horizontal: true, height: Math.max(120, 22 * memory.length) })) : '';
  return html`<div class="charts">${await figure('time-per-stage', 'Seconds per stage (preparation, fit, evaluation) for each arm and seed', barSpec(values, { x: 'run', y: 'seconds', color: 'stage', horizontal: true, height: Math.max(120, 22 * (values.length / 2)) }))}${memoryChart}</div>
${stageTable}
${table(['arm', 'seed', 'fit s', 'eval s', 'epochs', 'best epoch', 's / epoch', 'resumed', 'peak RSS MiB'], rows, { numeric: [2, 3, 4, 5, 6, 8], id: 'timings' })}
${note(memory.length ? 'Memory: the process’s peak resident set size so far, read at the end of each stage and seed run — a step up is the stage that needed the memory. Runs trained by other processes (queue workers, a second terminal) report their own process.' : 'Memory per stage is not recorded by these runs (runs before peakRssMiB was added).')}`;
}

/** Metric@K curves (HR@K, NDCG@K for every K recorded) for each named result. */
export async function metricAtKFigures(results: readonly { label: string; test: Record<string, number> }[]): Promise<Html> {
  const figs: Html[] = [];
  for (const family of ['HR', 'NDCG']) {
    const values: Datum[] = [];
    for (const r of results) {
      for (const [name, v] of Object.entries(r.test)) {
        const m = new RegExp(`^${family}@(\\d+)$`).exec(name);
        if (m) values.push({ arm: r.label, K: Number(m[1]), value: v });
      }
    }
    if (values.length > 0) figs.push(await figure(`metric-at-k-${family.toLowerCase()}`, `Test ${family}@K (mean over seeds)`, lineSpec(values, { x: 'K', y: 'value', yTitle: `${family}@K`, color: 'arm' })));
  }
  return figs.length ? html`<div class="charts">${figs}</div>` : note('No metric@K values recorded.');
}

/** Metrics in a stable, readable order (HR@K, NDCG@K by K, then the rest). */
export function metricOrder(names: Iterable<string>): string[] {
  const key = (n: string): [number, number, string] => {
    const m = /^(HR|NDCG|MRR|Recall|Precision)@(\d+)$/.exec(n);
    const fam = ['HR', 'NDCG', 'MRR', 'Recall', 'Precision'];
    return m ? [fam.indexOf(m[1]!), Number(m[2]), n] : [9, 0, n];
  };
  return [...new Set(names)].sort((a, b) => {
    const [fa, ka, na] = key(a);
    const [fb, kb, nb] = key(b);
    return fa - fb || ka - kb || na.localeCompare(nb);
  });
}

/** "node v20, linux-x64, AMD EPYC × 2 cores, 8 GiB" from an evaluate result's machine record. */
export function machineLine(m: Record<string, unknown> | undefined): string | undefined {
  if (!m) return undefined;
  const parts = [m['cpu'] ?? m['model'], m['cores'] ?? m['cpus'] ? `${String(m['cores'] ?? m['cpus'])} cores` : undefined, m['memoryGiB'] ? `${String(m['memoryGiB'])} GiB` : undefined, m['platform'], m['node']];
  return parts.filter((p) => p !== undefined && p !== null && p !== '').map(String).join(', ');
}

export function backendLine(b: Record<string, unknown> | undefined): string | undefined {
  if (!b) return undefined;
  return Object.entries(b).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}

/**
 * The run environment every writer records (src/experiment/config.ts runEnvironment(): samplify
 * version, machine, threads and backend, the command line) — one shape for every run kind.
 */
export const runEnvironmentSchema = z
  .object({
    samplify: z.string().optional(),
    machine: z.record(z.string(), z.unknown()).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    command: z.string().nullable().optional(),
  })
  .loose();

/**
 * The command that reruns the run: the command line it recorded; else, for a folder holding the
 * config.yaml the workbench saved, that config with this folder as output; else `template` (runs
 * written before the command line was recorded, or started from a library call or a test).
 */
export function rerunCommand(run: RunFolder, recorded: string | null | undefined, subcommand: string, template: string, out = run.shown): string {
  if (recorded) return `${recorded}   # as typed, in the folder the run was started from`;
  if (run.has('config.yaml')) return `samplify ${subcommand} ${run.shown}/config.yaml --out ${out}`;
  return template;
}

/**
 * Provenance entries from a runEnvironment() record read from `file` (absent in runs written before
 * it was recorded: no note then): version, machine, backend/threads and the rerun command. Every
 * run kind spreads this into its Provenance, so a new kind gets the same rows by calling it.
 */
export function environmentProvenance(
  run: RunFolder,
  file: string,
  raw: unknown,
  rerun: { readonly subcommand: string; readonly template: string; readonly out?: string },
): { version?: string; machine?: string; backend?: string; command: string } {
  const env = raw === undefined ? null : run.check(file, runEnvironmentSchema, raw, 'the samplify version, machine and command line of the run are not shown', 'environment');
  const machine = machineLine(env?.machine);
  const backend = backendLine(env?.settings);
  return {
    ...(env?.samplify ? { version: env.samplify } : {}),
    ...(machine ? { machine } : {}),
    ...(backend ? { backend } : {}),
    command: rerunCommand(run, env?.command, rerun.subcommand, rerun.template, rerun.out),
  };
}
