/**
 * Backend selection. The native addon (build/Release/samplify_native.node, N-API + OpenBLAS) is
 * used when it loads; otherwise the pure TypeScript kernels, with one warning line on stderr.
 * SAMPLIFY_BACKEND=typescript|native (read at load) or useBackend() force one; SAMPLIFY_THREADS
 * sets the thread count (default min(2, available cores)).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { Kernels } from './kernels.ts';
import { tsKernels } from './ts-kernels.ts';

export type BackendName = 'native-openblas' | 'typescript';

interface NativeAddon extends Omit<Kernels, 'name'> {
  setThreads(n: number): void;
  getThreads(): number;
}

let native: NativeAddon | null = null;
let nativeError: string | undefined;
let loaded = false;

function loadNative(): NativeAddon | null {
  if (loaded) return native;
  loaded = true;
  const here = dirname(fileURLToPath(import.meta.url));
  // SAMPLIFY_NATIVE_PATH replaces the default location (tests use it to simulate a missing addon).
  const override = process.env.SAMPLIFY_NATIVE_PATH;
  const candidates = override !== undefined && override !== '' ? [override] : [resolve(here, '../../build/Release/samplify_native.node')];
  const req = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const p of candidates) {
    try {
      native = req(p) as NativeAddon;
      return native;
    } catch (e) {
      errors.push(`${p}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  nativeError = `native addon not loadable (${errors.join('; ')})`;
  return null;
}

function defaultThreads(): number {
  const env = process.env.SAMPLIFY_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  return Math.max(1, Math.min(2, availableParallelism()));
}

let current: Kernels = tsKernels;
let reason: string | undefined;
let threads = defaultThreads();
let warned = false;

function nativeKernels(addon: NativeAddon): Kernels {
  return {
    name: 'native-openblas',
    gemm: addon.gemm,
    layerNormFwd: addon.layerNormFwd,
    layerNormBwd: addon.layerNormBwd,
    attnFwd: addon.attnFwd,
    attnBwd: addon.attnBwd,
    dropoutFwd: addon.dropoutFwd,
    geluFwd: addon.geluFwd,
    geluBwd: addon.geluBwd,
    gatherRows: addon.gatherRows,
    scatterAddRows: addon.scatterAddRows,
    crossEntropyFwd: addon.crossEntropyFwd,
    crossEntropyBwd: addon.crossEntropyBwd,
    adamStep: addon.adamStep,
  };
}

/** Switch backend. 'native' throws when the addon cannot be loaded. */
export function useBackend(name: 'typescript' | 'native'): void {
  if (name === 'typescript') {
    current = tsKernels;
    reason = 'forced';
    return;
  }
  const addon = loadNative();
  if (addon === null) throw new Error(`samplify nn: ${nativeError}`);
  addon.setThreads(threads);
  current = nativeKernels(addon);
  reason = undefined;
}

/** True when the native addon can be loaded (whether or not it is in use). */
export function nativeAvailable(): boolean {
  return loadNative() !== null;
}

function init(): void {
  const forced = process.env.SAMPLIFY_BACKEND;
  if (forced === 'typescript' || forced === 'ts') {
    useBackend('typescript');
    reason = 'forced by SAMPLIFY_BACKEND';
    return;
  }
  if (forced === 'native') {
    useBackend('native');
    return;
  }
  if (loadNative() !== null) {
    useBackend('native');
    return;
  }
  current = tsKernels;
  reason = nativeError;
  if (!warned) {
    warned = true;
    process.stderr.write('samplify: native nn kernels not built; using the slower pure TypeScript backend (run `npm rebuild` with libopenblas-dev installed)\n');
  }
}
init();

export function kernels(): Kernels {
  return current;
}

export function backendInfo(): { name: BackendName; threads: number; reason?: string } {
  const info: { name: BackendName; threads: number; reason?: string } = { name: current.name, threads: current.name === 'typescript' ? 1 : threads };
  if (reason !== undefined) info.reason = reason;
  return info;
}

/** Threads used by OpenBLAS (the TypeScript backend is single-threaded). */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads needs a positive integer, got ${n}`);
  threads = n;
  if (native !== null) native.setThreads(n);
}
