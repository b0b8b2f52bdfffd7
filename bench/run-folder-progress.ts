/**
 * Where a lift experiment folder (or one phase of a recipe folder) stands while its runs are still
 * going or after a session stopped them: per arm and seed, a finished run's validation and test
 * metrics, best epoch and time (its seed record), or an unfinished run's last checkpoint (epochs
 * done, best validation score so far, at which epoch). Reads only; trains and changes nothing.
 * Test metrics are listed for finished runs as the folder stores them: in a screen they play no part
 * in any choice.
 *
 *   node --import tsx bench/run-folder-progress.ts --folder runs/auto-recipe-taobao/screen --out bench/results/auto-recipe-taobao-screen-progress.json
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../src/core/index.ts';
import { readCheckpoint } from '../src/nn/index.ts';
import { arg } from './args.ts';

const folder = arg('folder', '');
const out = arg('out', '');
if (folder === '' || !existsSync(join(folder, 'arms'))) {
  console.error('usage: bench/run-folder-progress.ts --folder <experiment folder with arms/> [--out file.json]');
  process.exit(2);
}

type Metrics = Record<string, number>;
interface SeedRecord { result: { valid: Metrics; test: Metrics; bestEpoch: number; epochs: number; fitSeconds: number; secondsPerEpoch: number } }
interface CheckpointMeta { epoch: number; bestScore: number; bestEpoch: number; stopped: boolean; logs: { epoch: number; seconds: number; valid?: Metrics }[] }

const runs = readdirSync(join(folder, 'arms')).sort().flatMap((arm) => {
  const dir = join(folder, 'arms', arm);
  const seeds = new Set<number>();
  for (const f of existsSync(join(dir, 'seeds')) ? readdirSync(join(dir, 'seeds')) : []) if (/^seed\d+\.json$/.test(f)) seeds.add(Number(f.slice(4, -5)));
  for (const d of existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')) : []) if (/^seed\d+$/.test(d)) seeds.add(Number(d.slice(4)));
  return [...seeds].sort((a, b) => a - b).map((seed) => {
    const record = join(dir, 'seeds', `seed${seed}.json`);
    if (existsSync(record)) {
      const r = (JSON.parse(readFileSync(record, 'utf8')) as SeedRecord).result;
      return { arm, seed, finished: true, valid: r.valid, test: r.test, bestEpoch: r.bestEpoch, epochsRun: r.epochs, fitSeconds: Math.round(r.fitSeconds), secondsPerEpoch: Math.round(r.secondsPerEpoch) };
    }
    const meta = readCheckpoint(join(dir, 'checkpoints', `seed${seed}`, 'checkpoint.bin'))!.meta as unknown as CheckpointMeta;
    return {
      arm, seed, finished: false, epochsDone: meta.epoch, bestValidSoFar: meta.bestScore, atEpoch: meta.bestEpoch,
      trainedSeconds: Math.round(meta.logs.reduce((s, l) => s + l.seconds, 0)), validCurve: meta.logs.map((l) => l.valid ?? null),
    };
  });
});
const result = { folder, command: `node --import tsx bench/run-folder-progress.ts --folder ${folder}${out ? ` --out ${out}` : ''}`, readAt: new Date().toISOString(), runs };
if (out) writeJsonAtomic(out, result);
for (const r of runs) {
  console.log(r.finished
    ? `${r.arm} seed ${r.seed}: finished, valid ${Object.entries(r.valid!).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}, best epoch ${r.bestEpoch} of ${r.epochsRun}`
    : `${r.arm} seed ${r.seed}: ${r.epochsDone} epochs done, best validation so far ${r.bestValidSoFar!.toFixed(4)} at epoch ${r.atEpoch}`);
}
