/**
 * Runs launched from the workbench: each is a child process (`samplify experiment <config> --out
 * <run>` for sequence, search and recipe experiments, `samplify ctr` / `samplify cold-start` for
 * those tasks, `samplify synthesize <config> --out <run>/synthetic.*` for synthesis configs), so a crash or a long epoch never stalls the server; everything about it lives in its run
 * folder — `config.yaml`, `job.json` (command, pid, status, exit code) and `progress.log` (the
 * child's stderr: its progress lines, and a step event line per bar update, SAMPLIFY_STEP_EVENTS=1) — so a restarted server lists every run again.
 * Cancel sends SIGINT: the child finishes its batch, keeps its last checkpoint and exits 130;
 * resume starts the same command, which continues from that checkpoint.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, processAlive, writeFileAtomic, writeJsonAtomic } from '../core/index.ts';
import {
  checkExperimentPipelines,
  checkSearchPipelines,
  isRecipeExperimentConfig,
  isSearchExperimentConfig,
  isFewLabelExperimentConfig,
  parseFewLabelExperimentConfig,
  checkFewLabelPipelines,
  isSequenceSynthesizeConfig,
  parseColdStartTaskConfig,
  parseCtrTaskConfig,
  parseExperimentConfig,
  parseRecipeExperimentConfig,
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
    /** The signal that ended the process (SIGKILL by the OOM killer or a person), when one did. */
    signal: z.string().nullable().optional(),
    /** Why it failed, for the list: the signal, or the last line the child wrote (its error message). */
    reason: z.string().nullable().optional(),
  })
  .strict();
export type Job = z.infer<typeof jobSchema>;

/** A job as the workbench shows it: 'running' only while its process is alive ('lost' when the process vanished without an exit, e.g. a server restart killed it). */
export type JobStatus = Job['status'] | 'lost';

/** The last non-empty line of the run's progress.log (a failed CLI run's error message), at most 300 characters. */
export function lastLogLine(runDir: string): string | null {
  const p = join(runDir, 'progress.log');
  if (!existsSync(p)) return null;
  try {
    const size = statSync(p).size;
    const fd = openSync(p, 'r');
    try {
      const n = Math.min(size, 4096);
      const buf = Buffer.alloc(n);
      readSync(fd, buf, 0, n, size - n);
      const line = buf.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !isStepEvent(l)).pop();
      return line ? line.slice(0, 300) : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** A step event line (`{"step": …}`, written by the child's progress reporter for each bar), not a message. */
export function isStepEvent(line: string): boolean {
  return line.startsWith('{"step":');
}

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
    if (shown === 'lost') return { ...job, shown, reason: `the process ended while no workbench watched it, without writing its results${lastLogLine(runDir) ? ` (last line: ${lastLogLine(runDir)})` : ''}` };
    return { ...job, shown };
  } catch {
    return null;
  }
}

/**
 * What a config launches: a lift experiment (sequences, `task: search`, `task: few-label`, or the
 * recipe procedure with its `procedure:` block), a synthesis run (it names a `synthesizer`), a CTR
 * experiment (`models` / `synthesizers` lists, or MovieLens / label-column data) or an item
 * cold-start experiment (item `attributes` in its data, or `intensities`). Each is then parsed by
 * its command's own schema.
 */
export type LaunchKind = 'sequence-experiment' | 'search-experiment' | 'few-label-experiment' | 'recipe-experiment' | 'synthesize-table' | 'synthesize-sequences' | 'ctr' | 'cold-start';

export function launchKindOf(raw: unknown): LaunchKind {
  if (isSearchExperimentConfig(raw)) return 'search-experiment';
  if (isFewLabelExperimentConfig(raw)) return 'few-label-experiment';
  if (raw === null || typeof raw !== 'object') return 'sequence-experiment';
  const o = raw as Record<string, unknown>;
  if ('synthesizer' in o) return isSequenceSynthesizeConfig(raw) ? 'synthesize-sequences' : 'synthesize-table';
  if (isRecipeExperimentConfig(raw)) return 'recipe-experiment';
  const data = o['data'] !== null && typeof o['data'] === 'object' ? (o['data'] as Record<string, unknown>) : {};
  if ('models' in o || 'synthesizers' in o || 'movielens100k' in data || 'label' in data) return 'ctr';
  if ('intensities' in o || 'attributes' in data) return 'cold-start';
  return 'sequence-experiment';
}

/** The CLI command (after `samplify`) that runs the config saved in `runDir` into that folder. */
function commandOf(kind: LaunchKind, config: string, runDir: string): string[] {
  switch (kind) {
    // A synthesis run writes its table (or histories) into the run folder; its provenance file, written last, marks it finished.
    case 'synthesize-table':
      return ['synthesize', config, '--out', join(runDir, 'synthetic.csv')];
    case 'synthesize-sequences':
      return ['synthesize', config, '--out', join(runDir, 'synthetic.jsonl')];
    case 'ctr':
    case 'cold-start':
      return [kind, config, '--out', runDir];
    default:
      return ['experiment', config, '--out', runDir];
  }
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
    else if (kind === 'recipe-experiment') checkExperimentPipelines(parseRecipeExperimentConfig(raw, 'config.yaml'), baseDir);
    else if (kind === 'ctr') parseCtrTaskConfig(raw, 'config.yaml');
    else if (kind === 'cold-start') parseColdStartTaskConfig(raw, 'config.yaml');
    else checkExperimentPipelines(parseExperimentConfig(raw, 'config.yaml'), baseDir);
  } catch (e) {
    // Every problem the schema found, each at its key path (the first one's message without its "and N more").
    if (e instanceof ConfigError) problems.push(...e.problems.map((p) => ({ field: p.field === '(top level)' ? '' : p.field, message: p.message })));
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
  const command = [process.execPath, ...cliEntry(), ...commandOf(kind, config, runDir)];
  mkdirSync(runDir, { recursive: true });
  const log = openSync(join(runDir, 'progress.log'), o.resume ? 'a' : 'w');
  const child = spawn(command[0]!, command.slice(1), { cwd: runDir, stdio: ['ignore', log, log], detached: true, env: { ...process.env, SAMPLIFY_WORKBENCH: '1', SAMPLIFY_STEP_EVENTS: '1' } });
  closeSync(log);
  const job: Job = { kind: kind.startsWith('synthesize') ? 'synthesize' : 'experiment', command, pid: child.pid ?? null, status: 'running', exitCode: null, startedAt: new Date().toISOString(), endedAt: null, attempts: (previous?.attempts ?? 0) + 1 };
  writeJsonAtomic(join(runDir, 'job.json'), job);
  child.on('error', (e) => finish(runDir, job, null, e.message, null));
  // A signal ends it with 128 + the signal's number, as a shell reports it (SIGKILL: 137).
  child.on('exit', (code, signal) => finish(runDir, job, code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1), null, signal));
  child.unref();
  return job;
}

function finish(runDir: string, job: Job, code: number | null, error: string | null, signal: NodeJS.Signals | null): void {
  const status: Job['status'] = code === 0 ? 'finished' : code === 130 && signal === null ? 'interrupted' : 'failed';
  const reason = status !== 'failed' ? null : error ?? (signal ? `killed by ${signal}${lastLogLine(runDir) ? ` (last line: ${lastLogLine(runDir)})` : ''}` : (lastLogLine(runDir) ?? `exit code ${code}`));
  writeJsonAtomic(join(runDir, 'job.json'), { ...job, status, exitCode: code, endedAt: new Date().toISOString(), signal, reason });
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
