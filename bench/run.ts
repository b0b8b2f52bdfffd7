/**
 * `npm run bench [-- name …]`: runs the benchmarks in order, each writing bench/results/<name>.json.
 *   backend  matmul GFLOP/s and one SASRec training step per src/nn backend, next to PyTorch
 *   beauty   Pop / ItemKNN / GRU4Rec / SASRec-BCE / SASRec-CE on Amazon Beauty, 3 seeds, vs published numbers
 * Long: `beauty` trains to early stopping (hours on 2 cores). BENCH_MODELS / BENCH_SEEDS / BENCH_EPOCHS narrow it.
 */
import { spawnSync } from 'node:child_process';

const all = ['backend', 'beauty'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark '${name}'; expected one of: ${all.join(', ')}`);
    process.exit(2);
  }
  console.error(`== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
