/** Progress on a terminal vs a pipe: a bar with ETA redrawn in place on a TTY, only whole lines otherwise. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { progressBar, streamProgress } from '../../src/core/index.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 80, write: (s: string) => writes.push(s) > 0 };
}

describe('streamProgress', () => {
  it('on a terminal draws a bar with ETA, throttled, and clears it before the next line', () => {
    const s = fakeStream(true);
    let t = 0;
    const p = streamProgress(s, () => t);
    p.step!('epoch 1/3', 1, 10);
    t = 50;
    p.step!('epoch 1/3', 2, 10); // within 200 ms: not drawn
    t = 1000;
    p.step!('epoch 1/3', 5, 10);
    p.line('epoch   1/3 loss 1.0');
    assert.equal(s.writes.length, 4, JSON.stringify(s.writes));
    assert.ok(s.writes[0]!.startsWith('\r\x1b[K'));
    assert.match(s.writes[0]!.slice(4), /^epoch 1\/3 \[#*-+\]\s+10 % 1\/10$/);
    assert.match(s.writes[1]!, /50 % 5\/10 {2}ETA 1 s$/);
    assert.equal(s.writes[2], '\r\x1b[K');
    assert.equal(s.writes[3], 'epoch   1/3 loss 1.0\n');
  });

  it('the last unit always draws and the bar is cleared when done', () => {
    const s = fakeStream(true);
    const p = streamProgress(s, () => 0);
    p.step!('x', 1, 2);
    p.step!('x', 2, 2);
    assert.match(s.writes[1]!, /100 % 2\/2$/);
    assert.equal(s.writes.at(-1), '\r\x1b[K');
  });

  it('not on a terminal writes only the lines', () => {
    const s = fakeStream(false);
    const p = streamProgress(s, () => 0);
    p.step!('epoch 1/3', 1, 10);
    p.line('done');
    assert.deepEqual(s.writes, ['done\n']);
  });

  it('progressBar fits the width and formats the ETA in s / min / h', () => {
    assert.match(progressBar('fit', 1, 50, 60_000, 1, 60), /ETA 49 min$/);
    assert.match(progressBar('fit', 1, 601, 60_000, 1, 60), /ETA 10\.0 h$/);
    assert.ok(progressBar('a very long label '.repeat(10), 3, 10, 1000, 3, 50).length <= 49);
  });
});
