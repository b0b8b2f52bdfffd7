#!/usr/bin/env node
// The CLI straight from the TypeScript sources through tsx (a dev dependency), for working in a
// checkout without rebuilding dist/: `npm run cli -- evaluate …`. The tests spawn this, so they
// exercise src/ as it is; the published `samplify` command (bin/samplify.mjs) runs dist/.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
