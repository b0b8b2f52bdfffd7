/**
 * Backend selection. The native addon (build/Release/samplify_native.node, N-API + OpenBLAS) is
 * used when it loads; otherwise the pure TypeScript kernels, with one warning line on stderr.
 * SAMPLIFY_BACKEND=typescript|native or useBackend() force one. The thread count is a run setting
 * (`--threads`, `settings.threads`: setThreads); its default is SAMPLIFY_THREADS, else
 * min(2, available cores). Both are resolved on first use, not at import, so a setting applied
 * before any work is the one every kernel sees.
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

const REQUIRED: readonly string[] = [
  'gemm', 'layerNormFwd', 'layerNormBwd', 'attnFwd', 'attnBwd', 'attnPackedFwd', 'attnPackedBwd', 'dropoutFwd', 'dropoutBwd',
  'geluFwd', 'geluBwd', 'gatherRows', 'scatterAddRows', 'crossEntropyFwd', 'crossEntropyBwd', 'rankAmong', 'adamStep', 'addBcast', 'mulBcast',
  'axpy', 'mulAcc', 'colSum', 'reluFwd', 'reluBwd', 'maskRowsFwd', 'maskRowsBwd', 'rowDotFwd', 'rowDotBwd', 'bceFwd', 'bceBwd',
  'gruStepFwd', 'gruStepBwd', 'setThreads', 'getThreads',
  'im2col', 'col2imAdd', 'toChannelMajor', 'fromChannelMajor', 'planeBiasAdd', 'planeBiasGrad', 'maxPool2dFwd', 'maxPool2dBwd', 'avgPool2dFwd', 'avgPool2dBwd', 'batchNorm2dStats', 'batchNorm2dFwd', 'batchNorm2dBwd', 'leakyReluFwd', 'leakyReluBwd',
];

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
      const addon = req(p) as Record<string, unknown>;
      // An addon built from older sources lacks newer kernels: treat it as not loadable.
      const missing = REQUIRED.filter((k) => typeof addon[k] !== 'function');
      if (missing.length > 0) throw new Error(`stale build, missing ${missing.join(', ')} (rebuild with node scripts/build-native.mjs)`);
      native = addon as unknown as NativeAddon;
      return native;
    } catch (e) {
      errors.push(`${p}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  nativeError = `native addon not loadable (${errors.join('; ')})`;
  return null;
}

/** The thread count a run gets unless a setting says otherwise: SAMPLIFY_THREADS, else min(2, cores). */
export function defaultThreads(): number {
  const env = process.env.SAMPLIFY_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  return Math.max(1, Math.min(2, availableParallelism()));
}

let current: Kernels = tsKernels;
let reason: string | undefined;
let threadSetting: number | undefined;
let warned = false;
let initialised = false;

function threadCount(): number {
  return (threadSetting ??= defaultThreads());
}

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
    rankAmong: addon.rankAmong,
    adamStep: addon.adamStep,
    attnPackedFwd: addon.attnPackedFwd,
    attnPackedBwd: addon.attnPackedBwd,
    addBcast: addon.addBcast,
    mulBcast: addon.mulBcast,
    axpy: addon.axpy,
    mulAcc: addon.mulAcc,
    colSum: addon.colSum,
    reluFwd: addon.reluFwd,
    reluBwd: addon.reluBwd,
    dropoutBwd: addon.dropoutBwd,
    maskRowsFwd: addon.maskRowsFwd,
    maskRowsBwd: addon.maskRowsBwd,
    rowDotFwd: addon.rowDotFwd,
    rowDotBwd: addon.rowDotBwd,
    bceFwd: addon.bceFwd,
    bceBwd: addon.bceBwd,
    gruStepFwd: addon.gruStepFwd,
    gruStepBwd: addon.gruStepBwd,
    im2col: addon.im2col,
    col2imAdd: addon.col2imAdd,
    toChannelMajor: addon.toChannelMajor,
    fromChannelMajor: addon.fromChannelMajor,
    planeBiasAdd: addon.planeBiasAdd,
    planeBiasGrad: addon.planeBiasGrad,
    maxPool2dFwd: addon.maxPool2dFwd,
    maxPool2dBwd: addon.maxPool2dBwd,
    avgPool2dFwd: addon.avgPool2dFwd,
    avgPool2dBwd: addon.avgPool2dBwd,
    batchNorm2dStats: addon.batchNorm2dStats,
    batchNorm2dFwd: addon.batchNorm2dFwd,
    batchNorm2dBwd: addon.batchNorm2dBwd,
    leakyReluFwd: addon.leakyReluFwd,
    leakyReluBwd: addon.leakyReluBwd,
  };
}

/** Switch backend. 'native' throws when the addon cannot be loaded. */
export function useBackend(name: 'typescript' | 'native'): void {
  initialised = true;
  if (name === 'typescript') {
    current = tsKernels;
    reason = 'forced';
    return;
  }
  const addon = loadNative();
  if (addon === null) throw new Error(`samplify nn: ${nativeError}`);
  addon.setThreads(threadCount());
  current = nativeKernels(addon);
  reason = undefined;
}

/** True when the native addon can be loaded (whether or not it is in use). */
export function nativeAvailable(): boolean {
  return loadNative() !== null;
}

function init(): void {
  if (initialised) return;
  initialised = true;
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
}

export function kernels(): Kernels {
  init();
  // Warn on first use, not on import: Popularity/ItemKNN runs never touch these kernels.
  if (!warned && current === tsKernels && reason === nativeError) {
    warned = true;
    process.stderr.write('samplify: native nn kernels not built; using the slower pure TypeScript backend (run `npm rebuild` with libopenblas-dev installed)\n');
  }
  return current;
}

export function backendInfo(): { name: BackendName; threads: number; reason?: string } {
  init();
  const info: { name: BackendName; threads: number; reason?: string } = { name: current.name, threads: current.name === 'typescript' ? 1 : threadCount() };
  if (reason !== undefined) info.reason = reason;
  return info;
}

/** Threads used by OpenBLAS (the TypeScript backend is single-threaded). */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads needs a positive integer, got ${n}`);
  threadSetting = n;
  if (native !== null) native.setThreads(n);
}
