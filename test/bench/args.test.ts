import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arg, flag, threadsPrefix } from '../../bench/args.ts';

const argv = ['node', 'bench/x.ts', '--seeds', '5', '--first-seed', '-1', '--ops', '--variant', 'a=b:{}', '--seeds', '9', '--out'];

test('arg: the token after the first --name; the fallback when absent or last', () => {
  assert.equal(arg('seeds', '3', argv), '5');
  assert.equal(arg('first-seed', '0', argv), '-1', 'a value may begin with -');
  assert.equal(arg('variant', '', argv), 'a=b:{}');
  assert.equal(arg('models', 'markov,vae', argv), 'markov,vae');
  assert.equal(arg('out', 'default.json', argv), 'default.json', 'a flag with nothing after it');
  assert.equal(arg('seed', '0', argv), '0', '--seed is not --seeds');
});

test('flag: whether the switch is present', () => {
  assert.equal(flag('ops', argv), true);
  assert.equal(flag('gru', argv), false);
});

test('threadsPrefix: the SAMPLIFY_THREADS the process ran with, as a command prefix; nothing when unset', () => {
  assert.equal(threadsPrefix({ SAMPLIFY_THREADS: '2' }), 'SAMPLIFY_THREADS=2 ');
  assert.equal(threadsPrefix({}), '');
});
