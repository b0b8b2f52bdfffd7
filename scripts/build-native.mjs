// Builds the optional native kernels (N-API + OpenBLAS). A failed build is not an install
// failure: src/nn falls back to pure TypeScript kernels and says so once at run time.
// The build must work offline, so node-gyp is pointed at the Node headers installed beside the
// running node (Debian's nodejs ships them in /usr/include/node) instead of downloading them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

if (process.env.SAMPLIFY_SKIP_NATIVE === '1' || !existsSync('binding.gyp')) process.exit(0);

const nodedirs = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].filter(Boolean);
const nodedir = nodedirs.find((d) => existsSync(join(d, 'include', 'node', 'node.h')));

function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  return candidates.find((c) => c && existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) {
  console.warn('samplify: node-gyp not found; the pure TypeScript backend will be used.');
  process.exit(0);
}
const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status === 0) {
  console.log('samplify: native kernels built (OpenBLAS)');
} else {
  const why = (r.stderr || '').split('\n').filter((l) => /error|not found|No such/i.test(l)).slice(0, 3).join('\n');
  console.warn(`samplify: native kernels were not built (is libopenblas-dev installed?); the pure TypeScript backend will be used.\n${why}`);
}
