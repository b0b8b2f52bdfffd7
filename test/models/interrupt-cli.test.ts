import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempFolder } from '../temp-folders.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = tempFolder('samplify-interrupt-');
// 100 users: one batch per epoch (batch size 256), where the trainer used to yield only every 8
// batches and so never let the SIGINT handler run.
const data = join(tmp, 'small.txt');
writeFileSync(data, readFileSync(join(root, 'data', 'sample', 'beauty-sample.txt'), 'utf8').split('\n').slice(0, 100).join('\n') + '\n');

/** Runs `evaluate` for many epochs and sends `signals` SIGINTs once the first epoch line is out. */
async function interrupt(out: string, signals: number): Promise<{ code: number | null; stderr: string; seconds: number }> {
  const args = [join(root, 'scripts', 'samplify-src.mjs'), 'evaluate', '--data', data, '--model', 'sasrec', '--hidden', '8', '--epochs', '2000', '--patience', '2000', '--out', out];
  const child = spawn(process.execPath, args, { cwd: root });
  let stderr = '';
  let sentAt = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (sentAt === 0 && /epoch\s+1\//.test(stderr)) {
      sentAt = performance.now();
      for (let i = 0; i < signals; i++) child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  return { code, stderr, seconds: (performance.now() - sentAt) / 1000 };
}

test('Ctrl-C stops a run whose epochs have fewer than 8 batches (exit 130, checkpoint kept), and the run resumes', async () => {
  const out = join(tmp, 'one');
  const r = await interrupt(out, 1);
  assert.equal(r.code, 130, r.stderr.slice(-2000));
  assert.match(r.stderr, /InterruptedError: interrupted during epoch \d+; the checkpoint after epoch \d+ is intact/);
  assert.ok(r.seconds < 20, `stopped ${r.seconds.toFixed(1)} s after the signal`);
  assert.ok(existsSync(join(out, 'checkpoints')), 'a checkpoint folder was written');
  const done = Number(/the checkpoint after epoch (\d+)/.exec(r.stderr)![1]);
  const again = spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), 'evaluate', '--data', data, '--model', 'sasrec', '--hidden', '8', '--epochs', String(done + 1), '--patience', '2000', '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`resuming from checkpoint after epoch ${done}`));
});

test('a second Ctrl-C quits at once with exit 130', async () => {
  const r = await interrupt(join(tmp, 'two'), 2);
  assert.equal(r.code, 130, r.stderr.slice(-2000));
  assert.ok(r.seconds < 20, `quit ${r.seconds.toFixed(1)} s after the signals`);
});
