/**
 * Atomic writes. Every file samplify writes goes to a temp file beside its target, named
 * `<name>.samplify-<pid>-<hex>.tmp`, and is renamed into place only when complete (after an
 * fsync), so a crash, Ctrl-C or `kill -9` leaves either the old file or the new one, never half of
 * one. A killed process cannot remove its temp file, so the next atomic write into the same folder
 * removes the temps there whose owning process is gone (`removeStaleTemps`).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import { basename, dirname, join } from 'node:path';
import { hashSeed } from './rng.ts';

const TEMP_INFIX = '.samplify-';
/** `<name>.samplify-<pid>-<hex>.tmp`; a temp of a temp (an intermediate file) carries more such suffixes, the first one owning it. */
const TEMP_NAME = /^(.+?)\.samplify-(\d+)-[0-9a-f]+\.tmp/;
/** The suffix of a temp after its target's name: ours, or an older scheme's (`.<pid>.<hex>.tmp`, `.<pid>.tmp`, `.<pid>.jsonl.tmp`). */
const TEMP_SUFFIX = /^\.samplify-(\d+)-[0-9a-f]+\.tmp/;
const LEGACY_TEMP_SUFFIX = /^\.(\d+)\.(?:[0-9a-f]+\.|jsonl\.)?tmp$/;

let tempCounter = 0;

/** A fresh temp path beside `target`, of our naming (the pid says whose it is). */
export function tempPathFor(target: string): string {
  // Unique within this process by the counter, across processes by the pid; the hash only makes
  // a name left by an earlier process with a reused pid unlikely to collide.
  // (The counter is written out, not mixed into the hash: time ^ counter collided when the clock
  // ticked between two calls.)
  const tag = `${(tempCounter++).toString(16)}${hashSeed(Date.now() >>> 0, target).toString(16)}`;
  return join(dirname(target), `${basename(target)}${TEMP_INFIX}${process.pid}-${tag}.tmp`);
}

/** True when a process with this pid is running (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes temp files of our naming whose owning process is no longer alive. Given a folder, every
 * such temp in it; given a file path (existing or not), the temps of that file, including the
 * older naming schemes — and with `wholeFolder`, every temp of our naming in its folder too (what
 * each atomic write does before writing). Returns the removed paths. Temps of live processes (this
 * one included) are left alone: they may be writing now.
 */
export function removeStaleTemps(dirOrTarget: string, opts: { readonly wholeFolder?: boolean } = {}): string[] {
  let dir: string;
  let target: string | undefined;
  try {
    if (statSync(dirOrTarget).isDirectory()) dir = dirOrTarget;
    else (dir = dirname(dirOrTarget)), (target = basename(dirOrTarget));
  } catch {
    (dir = dirname(dirOrTarget)), (target = basename(dirOrTarget));
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.tmp')) continue;
    let owner: string | undefined;
    if (target !== undefined && name.startsWith(`${target}.`)) {
      const rest = name.slice(target.length);
      owner = (TEMP_SUFFIX.exec(rest) ?? LEGACY_TEMP_SUFFIX.exec(rest))?.[1];
    }
    if (owner === undefined && (target === undefined || opts.wholeFolder)) owner = TEMP_NAME.exec(name)?.[2];
    if (owner === undefined) continue;
    const pid = Number(owner);
    if (pid === process.pid || processAlive(pid)) continue;
    const path = join(dir, name);
    try {
      rmSync(path, { force: true });
      removed.push(path);
    } catch {
      /* not a plain file (a folder someone named so): not ours to remove */
    }
  }
  return removed;
}

/**
 * A file written in chunks and committed atomically: chunks go to a temp file beside the target
 * (buffered, so many small writes cost few system calls); `commit()` flushes, fsyncs and renames it
 * into place; `abort()` (or any failure) removes it. Opening one removes stale temps beside the target.
 */
export class AtomicFileWriter {
  readonly tempPath: string;
  #fd: number | undefined;
  #buf: string[] = [];
  #bufLen = 0;
  #bytes = 0;

  constructor(
    readonly path: string,
    private readonly bufferChars = 1 << 16,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    removeStaleTemps(path, { wholeFolder: true });
    this.tempPath = tempPathFor(path);
    this.#fd = openSync(this.tempPath, 'w');
  }

  /** Bytes written so far (flushed or buffered). */
  get bytes(): number {
    return this.#bytes;
  }

  write(chunk: string | Uint8Array): void {
    if (this.#fd === undefined) throw new Error(`write to ${this.path} after commit or abort`);
    if (typeof chunk === 'string') {
      this.#buf.push(chunk);
      this.#bufLen += chunk.length;
      this.#bytes += Buffer.byteLength(chunk);
      if (this.#bufLen > this.bufferChars) this.#flush();
    } else {
      this.#flush();
      writeSync(this.#fd, chunk);
      this.#bytes += chunk.byteLength;
    }
  }

  #flush(): void {
    if (this.#fd === undefined || this.#buf.length === 0) return;
    writeSync(this.#fd, this.#buf.join(''));
    this.#buf = [];
    this.#bufLen = 0;
  }

  /** Flushes, fsyncs and renames the temp file onto the target. */
  commit(): string {
    if (this.#fd === undefined) throw new Error(`commit of ${this.path} after commit or abort`);
    try {
      this.#flush();
      fsyncSync(this.#fd);
      closeSync(this.#fd);
      this.#fd = undefined;
      renameSync(this.tempPath, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
    return this.path;
  }

  /** Drops the temp file; the target is left as it was. Safe to call more than once. */
  abort(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        /* already closed */
      }
      this.#fd = undefined;
    }
    rmSync(this.tempPath, { force: true });
  }
}

/** Opens an atomic chunked write of `path` (see AtomicFileWriter). */
export function openAtomicWrite(path: string): AtomicFileWriter {
  return new AtomicFileWriter(path);
}

/**
 * For writers that take a path (DuckDB's COPY, a library's save): `produce` writes a temp path of
 * our naming beside `path`, which is then fsynced and renamed into place, or removed on failure.
 */
export async function writeViaTempPath<T>(path: string, produce: (tempPath: string) => Promise<T> | T): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  removeStaleTemps(path, { wholeFolder: true });
  const tmp = tempPathFor(path);
  try {
    const r = await produce(tmp);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return r;
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * A folder written as one unit: `produce` fills a temp folder of our naming beside `path`, which
 * is renamed into place when it returns, or removed when it throws — a failed or interrupted run
 * leaves no partial output folder. `path` must not exist yet (or be an empty folder): an existing
 * output is never replaced.
 */
export async function writeFolderViaTempPath<T>(path: string, produce: (tempPath: string) => Promise<T> | T): Promise<T> {
  if (existsSync(path) && (!statSync(path).isDirectory() || readdirSync(path).length > 0)) {
    throw new ConfigError('the output folder exists and is not empty; choose a new folder (nothing is overwritten)', { file: path, field: 'out' });
  }
  mkdirSync(dirname(path), { recursive: true });
  // Temp folders of this target left by a killed run (its process is gone) are removed first.
  for (const name of readdirSync(dirname(path))) {
    const m = TEMP_NAME.exec(name);
    if (m?.[1] === basename(path) && Number(m[2]) !== process.pid && !processAlive(Number(m[2]))) rmSync(join(dirname(path), name), { recursive: true, force: true });
  }
  const tmp = tempPathFor(path);
  mkdirSync(tmp);
  try {
    const r = await produce(tmp);
    if (existsSync(path)) rmdirSync(path);
    renameSync(tmp, path);
    return r;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Write a whole file atomically: to a temp path beside it, then rename. A crash or Ctrl-C leaves
 * either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  removeStaleTemps(path, { wholeFolder: true });
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with a trailing newline and stable indentation, so equal objects give equal bytes. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
