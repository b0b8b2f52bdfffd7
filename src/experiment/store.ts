/**
 * Where an experiment's files live when workers share them: the `Store` seam. A store holds
 * objects by key ('arms/crop/seeds/seed0.json'); two kinds implement it:
 *
 *  - a folder (local, or a mount every worker sees at the same path): keys are relative paths,
 *    writes are atomic (temp file + rename, src/core/fsutil.ts), and `folder` names it, so a run
 *    writes there directly — the embedded default, nothing changes for it;
 *  - S3-compatible object storage (`s3://bucket/prefix`) through the AWS SDK v3 client: a PUT
 *    replaces an object whole (readers see the old or the new bytes, never half), and a create
 *    is a conditional PUT (If-None-Match: *). Endpoint, region and credentials come from the
 *    environment and never reach a message (`location` is the bucket and prefix only).
 *
 * The run store's records go through it (readStoredRun / writeStoredRun in run-store.ts); files a
 * run writes in bulk (checkpoints, fitted models, results) reach object storage through a local
 * mirror folder (store-mirror.ts), since training and model files are written as files.
 */
import { existsSync, mkdirSync, openSync, closeSync, writeSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError, SamplifyError, writeFileAtomic } from '../core/index.ts';

/**
 * A store operation the server refused or could not serve (after the client's own retries): the
 * operation, the object and the status, never credentials. Often passing (a network, a throttled
 * server), so a queue job meeting it is retried, not failed for good.
 */
export class StoreError extends SamplifyError {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

/** One object of a listing: its key and size, and (object storage) its ETag. */
export interface StoreEntry {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
}

export interface Store {
  /** Where the store is, for messages and job metadata: a folder, or s3://bucket/prefix (never credentials). */
  readonly location: string;
  /** The folder, when the store is one: a run reads and writes it directly. */
  readonly folder?: string;
  /** The object's bytes; null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Writes the object whole, replacing any (atomic: a reader sees the old or the new bytes). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Writes the object only when there is none yet; false when one exists (a claim, a first write wins). */
  create(key: string, bytes: Uint8Array): Promise<boolean>;
  /** The object's size; null when there is none. */
  head(key: string): Promise<{ readonly size: number } | null>;
  /** Every object whose key starts with `prefix` ('' for all), sorted by key. */
  list(prefix?: string): Promise<StoreEntry[]>;
  /** Removes the object (no error when there is none). */
  delete(key: string): Promise<void>;
  /** Releases the client (object storage); a folder has nothing to release. */
  close(): void;
}

/** A key: relative, '/'-separated, no '.' or '..' segment, no empty segment (a key never leaves its store). */
export function checkStoreKey(key: string): string {
  const parts = key.split('/');
  if (key.length === 0 || key.length > 1024 || parts.some((p) => p === '' || p === '.' || p === '..') || key.includes('\\') || key.includes('\u0000')) {
    throw new ConfigError(`not a store key: ${JSON.stringify(key)} (a relative path of '/'-separated names)`, { field: 'key' });
  }
  return key;
}

/** Temp files of the atomic writers and lock files: never objects of the store. */
export function isScratchName(name: string): boolean {
  return name.includes('.tmp-') || name.endsWith('.tmp') || name.endsWith('.lock') || name === '.samplify-mirror.json';
}

/** Every file below `folder` (scratch files left out), depth first; none when it does not exist. */
export function filesBelow(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const out: string[] = [];
  for (const e of readdirSync(folder, { withFileTypes: true })) {
    const p = join(folder, e.name);
    if (e.isDirectory()) out.push(...filesBelow(p));
    else if (e.isFile() && !isScratchName(e.name)) out.push(p);
  }
  return out;
}

/** A folder as a store: keys are paths below it. */
export class DirectoryStore implements Store {
  readonly location: string;
  readonly folder: string;
  constructor(folder: string) {
    this.folder = resolve(folder);
    this.location = this.folder;
  }
  private path(key: string): string {
    return join(this.folder, ...checkStoreKey(key).split('/'));
  }
  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(readFileSync(this.path(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw e;
    }
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    writeFileAtomic(this.path(key), bytes);
  }
  async create(key: string, bytes: Uint8Array): Promise<boolean> {
    const p = this.path(key);
    mkdirSync(dirname(p), { recursive: true });
    let fd: number;
    try {
      fd = openSync(p, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    return true;
  }
  async head(key: string): Promise<{ size: number } | null> {
    try {
      const s = statSync(this.path(key));
      return s.isFile() ? { size: s.size } : null;
    } catch {
      return null;
    }
  }
  async list(prefix = ''): Promise<StoreEntry[]> {
    const out: StoreEntry[] = [];
    for (const path of filesBelow(this.folder)) {
      const key = relative(this.folder, path).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      const st = statSync(path);
      // A change token, as an ETag is: an atomic write renames a new file in, with a new mtime.
      out.push({ key, size: st.size, etag: `"${st.mtimeMs.toString(36)}-${st.ino.toString(36)}-${st.size}"` });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  async delete(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }
  close(): void {}
}

/** Where an S3 store's client connects: from the environment (see openStore). */
export interface S3Settings {
  readonly bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  readonly prefix: string;
  readonly region: string;
  /** An S3-compatible server (MinIO, Ceph, R2, …); absent: AWS itself. */
  readonly endpoint?: string;
  /** From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); absent: the SDK's default chain (profiles, SSO, instance roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** s3://bucket/prefix → bucket and prefix; a ConfigError naming the flag otherwise. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (!m) throw new ConfigError(`not an S3 location: ${JSON.stringify(location)} (expected s3://bucket/prefix, bucket in lower case)`, { field: 'store' });
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '') checkStoreKey(prefix);
  return { bucket: m[1]!, prefix: prefix === '' ? '' : `${prefix}/` };
}

/** The S3 settings of a location from an environment (endpoint: SAMPLIFY_S3_ENDPOINT, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; region: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1). */
export function s3SettingsFrom(location: string, env: NodeJS.ProcessEnv): S3Settings {
  const { bucket, prefix } = parseS3Location(location);
  const endpoint = env['SAMPLIFY_S3_ENDPOINT'] ?? env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'];
  const id = env['AWS_ACCESS_KEY_ID'];
  const secret = env['AWS_SECRET_ACCESS_KEY'];
  if ((id === undefined) !== (secret === undefined)) throw new ConfigError('set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (the SDK then looks for a profile or an instance role)', { field: 'store' });
  return {
    bucket,
    prefix,
    region: env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(id !== undefined && secret !== undefined ? { credentials: { accessKeyId: id, secretAccessKey: secret, ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}) } } : {}),
  };
}

/** True for a location naming object storage rather than a folder. */
export function isObjectStoreLocation(location: string): boolean {
  return location.startsWith('s3://');
}

/**
 * The store a location names: s3://bucket/prefix (settings from `env`, default process.env) or a
 * folder (an absolute path, or relative to the working folder).
 */
export async function openStore(location: string, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  if (isObjectStoreLocation(location)) {
    const { S3Store } = await import('./store-s3.ts');
    return S3Store.open(s3SettingsFrom(location, env), location);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new ConfigError(`unsupported store ${JSON.stringify(location.split('//')[0] + '//…')}: expected a folder or s3://bucket/prefix`, { field: 'store' });
  return new DirectoryStore(isAbsolute(location) ? location : resolve(location));
}
