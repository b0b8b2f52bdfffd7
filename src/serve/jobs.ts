/**
 * Runs launched from the workbench: each is a child process (`samplify experiment <config> --out
 * <run>` for sequence and search experiments, `samplify synthesize <config> --out <run>/synthetic.*`
 * for synthesis configs), so a crash or a long epoch never stalls the server; everything about it lives in its run
 * folder — `config.yaml`, `job.json` (command, pid, status, exit code) and `progress.log` (the
 * child's stderr, one progress line per line) — so a restarted server lists every run again.
 * Cancel sends SIGINT: the child finishes its batch, keeps its last checkpoint and exits 130;
 * resume starts the same command, which continues from that checkpoint.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, processAlive, writeFileAtomic, writeJsonAtomic } from '../core/index.ts';
import {
  checkExperimentPipelines,
  checkSearchPipelines,
  isSearchExperimentConfig,
  isFewLabelExperimentConfig,
  parseFewLabelExperimentConfig,
  checkFewLabelPipelines,
  isSequenceSynthesizeConfig,
  parseExperimentConfig,
  parseSearchExperimentConfig,
  parseSequenceSynthesizeConfig,
  parseSynthesizeConfig,
} from '../experiment/index.ts';

export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const jobSchema = z
  .object({
    kind: z.enum(['experiment', 'synthesize']),
    command: z.array(z.string()),
    pid: z.number().int().nullable(),
    status: z.enum(['running', 'finished', 'failed', 'interrupted']),
    exitCode: z.number().int().nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    attempts: z.number().int().min(1),
  })
  .strict();
export type Job = z.infer<typeof jobSchema>;

/** A job as the workbench shows it: 'running' only while its process is alive ('lost' when the process vanished without an exit, e.g. a server restart killed it). */
export type JobStatus = Job['status'] | 'lost';

export function readJob(runDir: string): (Job & { shown: JobStatus }) | null {
  const p = join(runDir, 'job.json');
  if (!existsSync(p)) return null;
  try {
    const job = jobSchema.parse(JSON.parse(readFileSync(p, 'utf8')));
    // A process that is gone without its exit being recorded (the server restarted meanwhile)
    // finished when it wrote results.json after it started; otherwise it is lost.
    const gone = job.status === 'running' && (job.pid === null || !processAlive(job.pid));
    const results = join(runDir, job.kind === 'synthesize' ? 'synthetic.provenance.json' : 'results.json');
    const shown: JobStatus = !gone ? job.status : existsSync(results) && statSync(results).mtimeMs >= Date.parse(job.startedAt) ? 'finished' : 'lost';
    return { ...job, shown };
  } catch {
    return null;
  }
}

/** What a config launches: a lift experiment (sequences or `task: search`) or a synthesis run (it names a `synthesizer`). */
export type LaunchKind = 'sequence-experiment' | 'search-experiment' | 'few-label-experiment' | 'synthesize-table' | 'synthesize-sequences';

export function launchKindOf(raw: unknown): LaunchKind {
  if (isSearchExperimentConfig(raw)) return 'search-experiment';
  if (isFewLabelExperimentConfig(raw)) return 'few-label-experiment';
  if (raw !== null && typeof raw === 'object' && 'synthesizer' in raw) return isSequenceSynthesizeConfig(raw) ? 'synthesize-sequences' : 'synthesize-table';
  return 'sequence-experiment';
}

/** The samplify entry point a child runs: the TypeScript sources through tsx in a checkout, else the built binary. */
function cliEntry(): string[] {
  const src = resolve(import.meta.dirname, '../../scripts/samplify-src.mjs');
  const fromSources = import.meta.url.endsWith('.ts');
  return fromSources && existsSync(src) ? [src] : [resolve(import.meta.dirname, '../../bin/samplify.mjs')];
}

export interface LaunchProblem {
  /** Key path in the config ('' for the YAML as a whole, 'name' for the run name). */
  readonly field: string;
  readonly message: string;
}

/**
 * Checks a run name and an experiment config (YAML/JSON text) with the same schema `samplify
 * experiment` uses (relative paths in it are relative to the run folder, where it is saved); the
 * problems, each with its key path, or the parsed config.
 */
export function validateLaunch(runsDir: string, name: string, configText: string): { problems: LaunchProblem[] } {
  const problems: LaunchProblem[] = [];
  if (!RUN_NAME.test(name)) problems.push({ field: 'name', message: 'letters, digits, dot, dash and underscore only (at most 100), starting with a letter or digit' });
  else if (existsSync(join(runsDir, name))) problems.push({ field: 'name', message: `a run named '${name}' exists already` });
  let raw: unknown;
  try {
    raw = parseYaml(configText) as unknown;
  } catch (e) {
    problems.push({ field: '', message: `not valid YAML: ${(e as Error).message}` });
    return { problems };
  }
  try {
    const baseDir = join(runsDir, RUN_NAME.test(name) ? name : '.');
    const kind = launchKindOf(raw);
    if (kind === 'search-experiment') checkSearchPipelines(parseSearchExperimentConfig(raw, 'config.yaml'), baseDir);
    else if (kind === 'few-label-experiment') checkFewLabelPipelines(parseFewLabelExperimentConfig(raw, 'config.yaml'), baseDir);
    // The workbench writes a synthesis run's outputs into its folder (--out), so a config need not name them.
    else if (kind === 'synthesize-table') parseSynthesizeConfig({ out: 'synthetic.csv', ...(raw as object) }, 'config.yaml');
    else if (kind === 'synthesize-sequences') parseSequenceSynthesizeConfig({ out: 'synthetic.jsonl', ...(raw as object) }, 'config.yaml');
    else checkExperimentPipelines(parseExperimentConfig(raw, 'config.yaml'), baseDir);
  } catch (e) {
    if (e instanceof ConfigError) problems.push({ field: e.location.field ?? '', message: e.message });
    else problems.push({ field: '', message: (e as Error).message });
  }
  return { problems };
}

/** Starts (or, with `resume`, restarts) the experiment of run folder `runDir` as a child process. */
export function startJob(runDir: string, o: { resume?: boolean } = {}): Job {
  const config = join(runDir, 'config.yaml');
  const previous = readJob(runDir);
  if (previous?.shown === 'running') throw new ConfigError('the run is still running', { field: 'run' });
  const kind = launchKindOf(parseYaml(readFileSync(config, 'utf8')) as unknown);
  // A synthesis run writes its table (or histories) into the run folder; its provenance file, written last, marks it finished.
  const args = kind === 'synthesize-table' ? ['synthesize', config, '--out', join(runDir, 'synthetic.csv')] : kind === 'synthesize-sequences' ? ['synthesize', config, '--out', join(runDir, 'synthetic.jsonl')] : ['experiment', config, '--out', runDir];
  const command = [process.execPath, ...cliEntry(), ...args];
  mkdirSync(runDir, { recursive: true });
  const log = openSync(join(runDir, 'progress.log'), o.resume ? 'a' : 'w');
  const child = spawn(command[0]!, command.slice(1), { cwd: runDir, stdio: ['ignore', log, log], detached: true, env: { ...process.env, SAMPLIFY_WORKBENCH: '1' } });
  closeSync(log);
  const job: Job = { kind: kind.startsWith('synthesize') ? 'synthesize' : 'experiment', command, pid: child.pid ?? null, status: 'running', exitCode: null, startedAt: new Date().toISOString(), endedAt: null, attempts: (previous?.attempts ?? 0) + 1 };
  writeJsonAtomic(join(runDir, 'job.json'), job);
  child.on('error', (e) => finish(runDir, job, null, e.message));
  child.on('exit', (code, signal) => finish(runDir, job, code ?? (signal ? 128 : 1), null));
  child.unref();
  return job;
}

function finish(runDir: string, job: Job, code: number | null, error: string | null): void {
  const status: Job['status'] = code === 0 ? 'finished' : code === 130 ? 'interrupted' : 'failed';
  writeJsonAtomic(join(runDir, 'job.json'), { ...job, status, exitCode: code, endedAt: new Date().toISOString() });
  if (error) writeFileAtomic(join(runDir, 'job-error.txt'), error + '\n');
}

/** Saves the config in a new run folder and starts it. */
export function launchJob(runsDir: string, name: string, configText: string): Job {
  const dir = join(runsDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'config.yaml'), configText.endsWith('\n') ? configText : configText + '\n');
  return startJob(dir);
}

/** SIGINT to a running job (the CLI stops after its batch and keeps the checkpoint); false when it is not running. */
export function cancelJob(runDir: string): boolean {
  const job = readJob(runDir);
  if (!job || job.shown !== 'running' || job.pid === null) return false;
  try {
    process.kill(job.pid, 'SIGINT');
    return true;
  } catch {
    return false;
  }
}
