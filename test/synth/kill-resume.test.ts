import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempFolder } from '../temp-folders.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const child = join(here, 'fit-synth-child.ts');

/** Runs the child; with `killAfterCheckpoint`, SIGKILLs it as soon as its checkpoint file exists. */
async function fit(args: string[], killAfterCheckpoint?: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: root });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const poll = killAfterCheckpoint ? setInterval(() => { if (existsSync(killAfterCheckpoint)) p.kill('SIGKILL'); }, 5) : undefined;
  const [code, signal] = await new Promise<[number | null, string | null]>((res) => p.on('close', (c, s) => res([c, s])));
  clearInterval(poll);
  return { code, signal, stderr };
}

for (const [kind, epochs] of [['tvae', 80], ['ctgan', 25]] as const) {
  test(`${kind}: a fit killed with SIGKILL after a checkpoint resumes and samples exactly what an uninterrupted fit samples`, async (t) => {
    const tmp = tempFolder(`kill-${kind}-`);
    const ckDir = join(tmp, 'ck');
    const killed = await fit([kind, String(epochs), join(tmp, 'killed.json'), ckDir], join(ckDir, 'checkpoint.bin'));
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(existsSync(join(tmp, 'killed.json')), false, 'the killed fit did not finish');
    const resumed = await fit([kind, String(epochs), join(tmp, 'resumed.json'), ckDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = Number(/resuming from checkpoint after epoch (\d+)/.exec(resumed.stderr)?.[1]);
    assert.ok(after >= 1 && after < epochs, resumed.stderr.slice(0, 500));
    t.diagnostic(`killed after epoch ${after} of ${epochs}`);
    const straight = await fit([kind, String(epochs), join(tmp, 'straight.json')]);
    assert.equal(straight.code, 0, straight.stderr);
    assert.ok(readFileSync(join(tmp, 'resumed.json')).equals(readFileSync(join(tmp, 'straight.json'))), 'resumed and uninterrupted samples differ');
  });
}
