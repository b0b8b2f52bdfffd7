/**
 * The shared store a job names, opened on this machine: a folder is used in place; object
 * storage (s3://…) gets a mirror folder here (store-mirror.ts) that jobs run in, pulled before
 * and pushed after each job. A process takes a mirror slot of its own under the mirror root with
 * a pid lock file (a slot left by a dead process is taken over, with what it had synced), so two
 * workers on one machine never share a mirror.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRun, isObjectStoreLocation, openStore, StoreMirror, type RunLock, type Store } from '../experiment/index.ts';

export interface OpenedStore {
  readonly store: Store;
  /** Where runs read and write: the store's folder, or this process's mirror of it. */
  readonly folder: string;
  readonly mirror?: StoreMirror;
  /** Gives the mirror slot back and closes the client. */
  release(): void;
}

/** Where mirror folders go by default: SAMPLIFY_MIRROR_ROOT, else the system's temp folder. */
export function defaultMirrorRoot(): string {
  return process.env['SAMPLIFY_MIRROR_ROOT'] || join(tmpdir(), 'samplify-mirrors');
}

export async function openSharedStore(location: string, o: { readonly mirrorRoot?: string } = {}): Promise<OpenedStore> {
  const store = await openStore(location);
  if (store.folder !== undefined) return { store, folder: store.folder, release: () => store.close() };
  if (!isObjectStoreLocation(location)) throw new Error(`store ${location} is neither a folder nor object storage`);
  const base = join(o.mirrorRoot ?? defaultMirrorRoot(), createHash('sha256').update(location).digest('hex').slice(0, 16));
  let lock: RunLock | null = null;
  let slot = 0;
  for (; lock === null; slot++) lock = claimRun(join(base, `slot${slot}.lock`));
  const folder = join(base, `slot${slot - 1}`);
  const held = lock;
  return {
    store,
    folder,
    mirror: new StoreMirror(store, folder),
    release: () => {
      held.release();
      store.close();
    },
  };
}
