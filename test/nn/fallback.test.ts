import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

it('without the addon: TypeScript backend, one warning line, same API', () => {
  const code = `import('./src/nn/index.ts').then((nn) => {
    const a = nn.gelu(nn.Tensor.fromArray([1, 2], [2])); nn.layerNorm(a, nn.constantParameter('g', [2], 1), nn.constantParameter('b', [2], 0));
    process.stdout.write(JSON.stringify(nn.backendInfo()));
  });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    env: { ...process.env, SAMPLIFY_NATIVE_PATH: '/nonexistent/samplify_native.node', SAMPLIFY_BACKEND: '' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { name: string; reason?: string };
  assert.equal(info.name, 'typescript');
  assert.match(info.reason ?? '', /not loadable/);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('samplify: native nn kernels not built'));
  assert.equal(warnings.length, 1);
});
