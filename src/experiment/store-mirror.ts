/**
 * A local folder mirroring a store, for stores that are not folders (object storage): training,
 * checkpoints and fitted models write files, so a worker runs a job in its mirror folder, `pull`s
 * what changed in the store before and `push`es what it wrote after (and every few seconds while
 * a job runs, so a checkpoint outlives the machine). Every file is read and written whole — files
 * are written atomically here, objects are replaced whole there — so neither side ever sees half
 * a file. Pulls and pushes of one mirror never overlap.
 *
 * What was last synced is kept in `.samplify-mirror.json` in the folder (key → size, content
 * hash, the store's ETag), so a pull fetches only objects whose ETag changed, and a push sends
 * only files whose bytes changed — the ones this machine wrote.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../core/index.ts';
import { checkStoreKey, filesBelow, type Store } from './store.ts';

export const MIRROR_MANIFEST = '.samplify-mirror.json';

interface Synced {
  readonly size: number;
  readonly sha: string;
  readonly etag?: string;
}

export interface SyncReport {
  /** Keys copied (pull: store → folder; push: folder → store). */
  readonly copied: readonly string[];
  readonly bytes: number;
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export class StoreMirror {
  private readonly synced: Map<string, Synced>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: Store,
    readonly folder: string,
  ) {
    this.synced = new Map();
    const manifest = join(folder, MIRROR_MANIFEST);
    if (existsSync(manifest)) {
      try {
        const saved = JSON.parse(readFileSync(manifest, 'utf8')) as { location?: string; files?: Record<string, Synced> };
        if (saved.location === store.location) for (const [k, v] of Object.entries(saved.files ?? {})) this.synced.set(k, v);
      } catch {
        /* an unreadable manifest: everything is compared again */
      }
    }
  }

  /** One sync at a time per mirror. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private save(): void {
    writeJsonAtomic(join(this.folder, MIRROR_MANIFEST), { location: this.store.location, files: Object.fromEntries([...this.synced.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) });
  }

  /** Copies objects under `prefix` that changed in the store since the last sync into the folder (the store wins). */
  pull(prefix = ''): Promise<SyncReport> {
    return this.serial(async () => {
      const copied: string[] = [];
      let bytes = 0;
      for (const e of await this.store.list(prefix)) {
        const known = this.synced.get(e.key);
        const path = join(this.folder, ...checkStoreKey(e.key).split('/'));
        if (known && e.etag !== undefined && known.etag === e.etag && known.size === e.size && existsSync(path)) continue;
        const data = await this.store.get(e.key);
        if (data === null) continue; // deleted meanwhile
        const hash = sha(data);
        if (!(existsSync(path) && sha(readFileSync(path)) === hash)) {
          writeFileAtomic(path, data);
          copied.push(e.key);
          bytes += data.byteLength;
        }
        this.synced.set(e.key, { size: data.byteLength, sha: hash, ...(e.etag !== undefined ? { etag: e.etag } : {}) });
      }
      this.save();
      return { copied, bytes };
    });
  }

  /** Sends files of the folder whose bytes changed since the last sync to the store. */
  push(): Promise<SyncReport> {
    return this.serial(async () => {
      const copied: string[] = [];
      let bytes = 0;
      for (const path of filesBelow(this.folder)) {
        const key = relative(this.folder, path).split(sep).join('/');
        if (key === MIRROR_MANIFEST) continue;
        const data = readFileSync(path);
        const hash = sha(data);
        if (this.synced.get(key)?.sha === hash) continue;
        await this.store.put(key, data);
        this.synced.set(key, { size: data.byteLength, sha: hash });
        copied.push(key);
        bytes += data.byteLength;
      }
      if (copied.length > 0) {
        // The ETags the store gave the new objects, so the next pull does not fetch them back.
        const pushed = new Set(copied);
        for (const e of await this.store.list()) {
          const s = this.synced.get(e.key);
          if (pushed.has(e.key) && s && s.size === e.size && e.etag !== undefined) this.synced.set(e.key, { ...s, etag: e.etag });
        }
      }
      this.save();
      return { copied, bytes };
    });
  }

  /** Pushes every `ms` until the returned stop() (which pushes once more and waits for it). */
  pushEvery(ms: number, onError: (e: unknown) => void = () => {}): () => Promise<void> {
    const timer = setInterval(() => void this.push().catch(onError), ms);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.push();
    };
  }
}
