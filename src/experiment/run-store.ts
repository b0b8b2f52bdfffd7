/**
 * The run store: how every experiment makes its runs resumable and shareable between workers.
 *
 *  - A run is identified by a fingerprint: a JSON value of everything its result depends on
 *    (model spec, data checksum, seed, …), compared in canonical form (keys sorted), so the order
 *    in which code happens to build the object never makes a finished run look different.
 *  - Its result is a record `{ fingerprint, result }`, written atomically; it is read back only
 *    when the fingerprint matches (or a caller's reuse rule accepts it), so a changed setting or
 *    data file reruns instead of reusing a stale result.
 *  - Who runs which unit of work is an executor's business (`UnitExecutor`, the one seam): the
 *    in-process executor runs every unit here, and workers sharing an output folder on one file
 *    system claim a run with a lock file holding their pid (`claimRun`; a lock whose process is
 *    gone is taken over); a job-queue executor (src/distributed, BullMQ on Redis) hands each unit
 *    to one worker anywhere, and the queue's job lock is the claim, so no lock file is taken.
 *  - Checkpoints and fitted models of a run live in a folder of their own beside the record, so
 *    an interrupted run resumes from its last epoch.
 *
 * Records written before this store (fingerprints as JSON strings, or under other key names) are
 * still read: a string fingerprint is parsed before comparing, and `legacy` maps other shapes.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson, InterruptedError, processAlive, tempPathFor, writeJsonAtomic, type CancelToken } from '../core/index.ts';
import type { Store } from './store.ts';

/**
 * One unit of an experiment's work: an (arm, seed) training run — the unit of the lift and the
 * search experiments alike — with a key unique within the experiment. It is all a queue job
 * carries about the unit (with the experiment's fingerprint and store), so it stays this small.
 */
export interface WorkUnit {
  readonly key: string;
  readonly arm: string;
  readonly seed: number;
}

/** A unit run here finished ('done'), or another worker holds it ('pending'). */
export type UnitOutcome = 'done' | 'pending';

/**
 * How an experiment's units get run: the seam between "what a unit is" (the experiment) and "who
 * runs it where" (this process, processes sharing a folder, workers pulling from a queue).
 *
 * `claims` says who keeps two workers off one unit: 'store-locks' — the unit takes a lock file in
 * the store (`claimRun`; one file system, pid liveness); 'executor' — the executor has handed the
 * unit to exactly one worker (a queue's job lock), so the unit takes no lock file.
 *
 * `execute` resolves once every unit is finished or held elsewhere; `run` is the unit's code in
 * this process (a queue executor does not call it: its workers run the same code).
 */
export interface UnitExecutor {
  readonly claims: 'store-locks' | 'executor';
  /**
   * 'jobs': the executor runs the experiment's shared fits (a generator several units train on) as
   * work of their own, each once, before the units that need them, so the experiment defers them
   * (its units load them from the store). Absent: the experiment fits them itself, as always.
   */
  readonly sharedFits?: 'jobs';
  execute<U extends WorkUnit>(units: readonly U[], run: (unit: U) => Promise<UnitOutcome>, fits?: readonly SharedFit[]): Promise<ReadonlyMap<string, UnitOutcome>>;
}

/**
 * A fit several units share (a generator their training data is made with), run once before
 * them when the executor asks for `sharedFits: 'jobs'`; its output goes to the store, keyed by
 * content, where the units load it. `key` is unique within the experiment and stable across
 * processes that prepare the same experiment; `units` are the keys of the units that need it.
 */
export interface SharedFit {
  readonly key: string;
  readonly label: string;
  readonly units: readonly string[];
}

/** The embedded default: every unit in this process, in order; lock files keep processes sharing the folder apart. */
export const inProcessExecutor: UnitExecutor = {
  claims: 'store-locks',
  async execute<U extends WorkUnit>(units: readonly U[], run: (unit: U) => Promise<UnitOutcome>): Promise<ReadonlyMap<string, UnitOutcome>> {
    const outcomes = new Map<string, UnitOutcome>();
    for (const u of units) outcomes.set(u.key, await run(u));
    return outcomes;
  },
};


/** A fingerprint as a plain JSON value: a string holding JSON (the older records') is parsed. */
function fingerprintValue(f: unknown): unknown {
  if (typeof f !== 'string') return f;
  try {
    return JSON.parse(f);
  } catch {
    return f;
  }
}

/** True when two fingerprints describe the same run (key order and JSON-string encoding ignored). */
export function sameFingerprint(a: unknown, b: unknown): boolean {
  return canonicalJson(fingerprintValue(a)) === canonicalJson(fingerprintValue(b));
}

/** A record read back: its result, the fingerprint it was saved with, and whether that equals ours. */
export interface StoredRun<R> {
  readonly result: R;
  readonly fingerprint: unknown;
  /** false when a `reuse` rule accepted a different fingerprint. */
  readonly exact: boolean;
}

export interface ReadRunOptions<R> {
  /**
   * Accepts a saved result whose fingerprint differs from ours (both given as parsed JSON values),
   * e.g. evaluate's rule that a run which stopped early is the same under a higher epoch cap.
   */
  readonly reuse?: (saved: unknown, now: unknown, result: R) => boolean;
  /** Maps a record of an older shape to { fingerprint, result }; null when it is not one. */
  readonly legacy?: (raw: Record<string, unknown>) => { fingerprint: unknown; result: R } | null;
  /** Checks a result read back has the expected shape; a record failing it is ignored (rerun). */
  readonly valid?: (result: unknown) => result is R;
}

/** The saved result at `path` when it is this run's (see the module comment); null otherwise. */
export function readRunResult<R>(path: string, fingerprint: unknown, opts: ReadRunOptions<R> = {}): StoredRun<R> | null {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  return decodeRunRecord(text, fingerprint, opts);
}

/** A record's text read back: its result when it is this run's; null otherwise (not JSON, another run's, a bad shape). */
export function decodeRunRecord<R>(text: string, fingerprint: unknown, opts: ReadRunOptions<R> = {}): StoredRun<R> | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null; // unreadable (never half written: records are atomic) or not JSON: rerun
  }
  if (raw === null || typeof raw !== 'object') return null;
  const rec = 'fingerprint' in raw && 'result' in raw ? { fingerprint: raw['fingerprint'], result: raw['result'] as R } : (opts.legacy?.(raw) ?? null);
  if (!rec || rec.result === undefined || rec.result === null || rec.fingerprint === undefined) return null;
  if (opts.valid && !opts.valid(rec.result)) return null;
  if (sameFingerprint(rec.fingerprint, fingerprint)) return { result: rec.result, fingerprint: rec.fingerprint, exact: true };
  if (opts.reuse && opts.reuse(fingerprintValue(rec.fingerprint), fingerprintValue(fingerprint), rec.result)) return { result: rec.result, fingerprint: rec.fingerprint, exact: false };
  return null;
}

/** Saves a run's result with its fingerprint, atomically. */
export function writeRunResult(path: string, fingerprint: unknown, result: unknown): void {
  writeJsonAtomic(path, runRecord(fingerprint, result));
}

function runRecord(fingerprint: unknown, result: unknown): { fingerprint: unknown; result: unknown } {
  return { fingerprint: fingerprintValue(fingerprint), result };
}

/** readRunResult for a record kept in a Store (a folder or object storage) under `key`. */
export async function readStoredRun<R>(store: Store, key: string, fingerprint: unknown, opts: ReadRunOptions<R> = {}): Promise<StoredRun<R> | null> {
  const bytes = await store.get(key);
  return bytes === null ? null : decodeRunRecord(new TextDecoder().decode(bytes), fingerprint, opts);
}

/** writeRunResult into a Store: the same record, written whole (a folder's atomic rename, an object PUT). */
export async function writeStoredRun(store: Store, key: string, fingerprint: unknown, result: unknown): Promise<void> {
  // writeJsonAtomic's layout (2-space indent, trailing newline): a record has the same bytes whichever way it was written.
  await store.put(key, new TextEncoder().encode(JSON.stringify(runRecord(fingerprint, result), null, 2) + '\n'));
}

/** Whether a live process other than this one holds the lock file `path` (read-only: claims nothing). */
export function runHeldElsewhere(path: string): boolean {
  let pid = Number.NaN;
  try {
    pid = Number(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
  return pid !== process.pid && processAlive(pid);
}

/** The lock files under `folder` (recursively) that live processes other than this one hold: runs being produced elsewhere. */
export function heldRunsUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const held: string[] = [];
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.lock')) continue;
    const path = join(entry.parentPath, entry.name);
    if (runHeldElsewhere(path)) held.push(path);
  }
  return held.sort();
}

/**
 * One pause of a process waiting on runs other processes hold (see heldRunsUnder, runHeldElsewhere):
 * `pollMs` (default 15 s) unless cancelled first. The one wait both the lift experiment and the
 * recipe procedure use, so Ctrl-C and the poll interval behave alike.
 */
export async function pauseForOtherWorkers(o: { readonly pollMs?: number | undefined; readonly cancel?: CancelToken | undefined }, waitingFor: string): Promise<void> {
  if (o.cancel?.cancelled) throw new InterruptedError(`interrupted while waiting for ${waitingFor}`);
  await sleep(o.pollMs ?? 15_000);
  // Ctrl-C during the sleep stops the wait here: the caller would otherwise go on to its next step
  // (a recipe phase retried and a run resumed after the user asked to stop).
  if (o.cancel?.cancelled) throw new InterruptedError(`interrupted while waiting for ${waitingFor}`);
}

/** A claimed run: release() removes the lock file (idempotent). */
export interface RunLock {
  readonly path: string;
  release(): void;
}

/**
 * Creates the lock file `path` already holding our pid, or returns false when it exists. The pid is
 * written to a temp file first and hard-linked into place (link fails if the name exists, on local
 * file systems and NFS alike): a lock created empty and filled afterwards could be read empty by
 * another process in between, taken for a dead holder's and taken over — two holders (seen as two
 * workers sharing one mirror slot).
 */
function createLockFile(path: string): boolean {
  const tmp = tempPathFor(path);
  writeFileSync(tmp, String(process.pid));
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The pid in a lock file; NaN for one that holds no number; null when there is no such file (any more). */
function lockHolder(path: string): number | null {
  try {
    return Number(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Claims a run with an exclusive lock file holding our pid. Returns the lock, or null when a live
 * process holds it; a lock left by a dead process (or by this process) is taken over.
 *
 * Taking over is remove + create, and two processes that both read the same dead pid could each
 * remove the lock — the second removing the one the first had just created — and both hold it. So
 * a takeover first claims `<lock>.takeover` (a lock like any other, so a guard left by a process
 * that died inside those few statements is taken over the same way) and reads the holder again
 * under it: only one process at a time replaces a lock, and it never removes a live one.
 */
export function claimRun(path: string): RunLock | null {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createLockFile(path)) return heldLock(path);
    const pid = lockHolder(path);
    if (pid === null) continue; // removed meanwhile: try again
    if (pid !== process.pid && processAlive(pid)) return null;
    const guard = claimRun(`${path}.takeover`);
    if (guard === null) return null; // another process is taking it over
    try {
      const now = lockHolder(path);
      if (now !== null && now !== process.pid && processAlive(now)) return null;
      rmSync(path, { force: true });
      return createLockFile(path) ? heldLock(path) : null;
    } finally {
      guard.release();
    }
  }
  return null;
}

/** The lock we just created at `path`: release() removes it once. */
function heldLock(path: string): RunLock {
  let held = true;
  return {
    path,
    release: () => {
      if (held) rmSync(path, { force: true });
      held = false;
    },
  };
}
