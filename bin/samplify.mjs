#!/usr/bin/env node
// The `samplify` command: the CLI compiled into dist/ by `npm run build` (which `npm ci` runs
// through the `prepare` script). No TypeScript loader is involved at run time.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('samplify: dist/ is not built; run `npm run build` (or `npm ci`) in the samplify folder first\n');
  process.exit(1);
}
await import(main.href);
