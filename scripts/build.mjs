// `npm run build` (also run by `npm ci` through `prepare`): src/ -> dist/ (JavaScript + .d.ts)
// with tsconfig.build.json. dist/ is emptied first so that a source file deleted or renamed since
// the last build leaves nothing behind that would be packed or imported.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('samplify: the build needs the dev dependency typescript (install without --omit=dev)');
  process.exit(1);
}
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', new URL('../tsconfig.build.json', import.meta.url).pathname], { stdio: 'inherit' });
process.exit(r.status ?? 1);
