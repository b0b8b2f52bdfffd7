/**
 * Convolutional ops against PyTorch on identical inputs and weights: outputs, the gradients of
 * sum(output · R) for every input, and batch norm's running statistics, from the float64 fixture
 * test/fixtures/nn/conv-torch.json (made by bench/reference/conv_check.py; torch is not needed
 * here). Both backends; float32 on our side, hence the tolerances.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nn from '../../src/nn/index.ts';
import { assertClose, backends } from './helpers.ts';

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  op: 'conv2d' | 'convTranspose2d' | 'maxPool2d' | 'avgPool2d' | 'batchNorm2d';
  options: Record<string, number | boolean>;
  inputs: Record<string, Encoded>;
  R: Encoded;
  output: Encoded;
  grads: Record<string, Encoded>;
  runningMeanBefore?: Encoded;
  runningVarBefore?: Encoded;
  runningMeanAfter?: Encoded;
  runningVarAfter?: Encoded;
}

const fixture = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/nn/conv-torch.json'), 'utf8')) as { cases: Case[] };
const initial = nn.backendInfo().name === 'typescript' ? 'typescript' : 'native';
after(() => nn.useBackend(initial));

const tensor = (e: Encoded): nn.Tensor => new nn.Tensor(Float32Array.from(e.data), e.shape, true);
const num = (c: Case, k: string): number => c.options[k] as number;

/** Runs one fixture case; returns the output, the named gradients and the running statistics after. */
function runCase(c: Case): { out: nn.Tensor; inputs: Record<string, nn.Tensor>; runningMean?: Float32Array; runningVar?: Float32Array } {
  nn.resetTape();
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tensor(v)])) as Record<string, nn.Tensor>;
  const x = inputs.x!;
  let out: nn.Tensor;
  let runningMean: Float32Array | undefined;
  let runningVar: Float32Array | undefined;
  switch (c.op) {
    case 'conv2d':
      out = nn.conv2d(x, inputs.weight!, inputs.bias, { stride: num(c, 'stride'), padding: num(c, 'padding') });
      break;
    case 'convTranspose2d':
      out = nn.convTranspose2d(x, inputs.weight!, inputs.bias, { stride: num(c, 'stride'), padding: num(c, 'padding'), outputPadding: num(c, 'outputPadding') });
      break;
    case 'maxPool2d':
      out = nn.maxPool2d(x, { kernel: num(c, 'kernel'), stride: num(c, 'stride'), padding: num(c, 'padding') });
      break;
    case 'avgPool2d':
      out = nn.avgPool2d(x, { kernel: num(c, 'kernel'), stride: num(c, 'stride'), padding: num(c, 'padding') });
      break;
    case 'batchNorm2d':
      runningMean = Float32Array.from(c.runningMeanBefore!.data);
      runningVar = Float32Array.from(c.runningVarBefore!.data);
      out = nn.batchNorm2d(x, inputs.gamma!, inputs.beta!, { training: c.options.training as boolean, runningMean, runningVar, momentum: num(c, 'momentum'), eps: num(c, 'eps') });
      break;
  }
  nn.backward(nn.sum(nn.mul(out, new nn.Tensor(Float32Array.from(c.R.data), c.R.shape))));
  return { out, inputs, ...(runningMean && runningVar ? { runningMean, runningVar } : {}) };
}

describe('the fixture covers every convolutional op', () => {
  it('has the cases the issue asks for', () => {
    const ops = new Set(fixture.cases.map((c) => c.op));
    assert.deepEqual([...ops].sort(), ['avgPool2d', 'batchNorm2d', 'conv2d', 'convTranspose2d', 'maxPool2d']);
    assert.ok(fixture.cases.some((c) => c.op === 'conv2d' && c.options.stride === 2 && (c.options.padding as number) > 0));
    assert.ok(fixture.cases.some((c) => c.op === 'convTranspose2d' && c.options.stride === 2 && c.options.padding === 1 && (c.options.outputPadding as number) > 0));
    assert.ok(fixture.cases.some((c) => c.op === 'batchNorm2d' && c.options.training === true && c.runningMeanAfter !== undefined));
  });
});

for (const be of backends) {
  describe(`convolutional ops equal PyTorch on identical weights (${be})`, () => {
    for (const c of fixture.cases) {
      it(c.name, () => {
        nn.useBackend(be);
        const { out, inputs, runningMean, runningVar } = runCase(c);
        assert.deepEqual(out.shape, c.output.shape, `${c.name}: output shape`);
        assertClose(out.data, c.output.data, 1e-5, 1e-4, `${c.name} output`);
        for (const [k, g] of Object.entries(c.grads)) {
          const ours = inputs[k]!.grad;
          assert.ok(ours !== null, `${c.name}: no gradient for ${k}`);
          assertClose(ours, g.data, 2e-5, 2e-4, `${c.name} d${k}`);
        }
        if (c.runningMeanAfter) {
          assertClose(runningMean!, c.runningMeanAfter.data, 1e-6, 1e-5, `${c.name} running mean`);
          assertClose(runningVar!, c.runningVarAfter!.data, 1e-6, 1e-5, `${c.name} running var`);
        }
      });
    }
  });
}
