// Builds the optional native kernels (N-API + OpenBLAS). A failed build is not an install
// failure: src/nn falls back to pure TypeScript kernels and says so once at run time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.SAMPLIFY_SKIP_NATIVE === '1' || !existsSync('binding.gyp')) process.exit(0);
const gyp = process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp';
const tries = [[gyp, ['rebuild']], ['npx', ['--no-install', 'node-gyp', 'rebuild']], ['npm', ['exec', '--', 'node-gyp', 'rebuild']]];
for (const [cmd, args] of tries) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status === 0) process.exit(0);
}
console.warn('samplify: native kernels were not built (is libopenblas-dev installed?); the pure TypeScript backend will be used.');
