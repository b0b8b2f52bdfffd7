/**
 * `npm run bench [-- name …]`: runs the benchmarks in order, each writing bench/results/<name>*.json.
 *   backend         matmul GFLOP/s and one SASRec training step per src/nn backend, next to PyTorch
 *   augment         sequences/s of every augmentation operator and a 4-step pipeline vs a plain copy
 *   expand-memory   peak RSS of offline expansion at 1×/10× Beauty and 1/10 views
 *   synth-copula    Gaussian copula fit/sample time on ml-100k tables (up to 1 M rows)
 *   synth-neural    CTGAN / TVAE epoch time and per-column fidelity on the ml-100k ratings table
 *   synth-scaling   copula / TVAE / CTGAN at 10 k, 100 k, 1 M rows: fit time, peak memory, fidelity
 *   ctgan-critic    CTGAN's critic during training vs a fresh critic on its samples (1 seed)
 *   sequence-synth  Markov vs autoregressive synthetic histories on Beauty (distances, histories/s)
 *   quality         fidelity + privacy report time at 80k train × 20k synthetic rows
 *   ctr-ml100k      LR / DeepFM on real vs real+synthetic vs synthetic ml-100k, 3 seeds
 *   cold-start-beauty  item cold-start: SASRec with/without attribute-based synthesis vs a heuristic
 *   beauty          Pop / ItemKNN / GRU4Rec / SASRec-BCE / SASRec-CE on Amazon Beauty, 3 seeds
 * Long ones (`beauty`, `ctr-ml100k`, `cold-start-beauty`, `synth-neural`, `synth-scaling`, `ctgan-critic`) train models: run them by name.
 * Without names the quick set runs. BENCH_MODELS / BENCH_SEEDS / BENCH_EPOCHS narrow `beauty`.
 */
import { spawnSync } from 'node:child_process';

const quick = ['backend', 'augment', 'expand-memory', 'synth-copula', 'quality'];
const all = [...quick, 'synth-neural', 'synth-scaling', 'ctgan-critic', 'sequence-synth', 'ctr-ml100k', 'cold-start-beauty', 'beauty'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : quick;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark '${name}'; expected one of: ${all.join(', ')}`);
    process.exit(2);
  }
  console.error(`== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
