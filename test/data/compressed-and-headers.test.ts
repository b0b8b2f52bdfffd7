import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readInteractions, readSequenceText } from '../../src/data/index.ts';
import { assertAccounting, expectDataError, tempDir } from './helpers.ts';

const t = tempDir('samplify-gzip-');
after(() => t.cleanup());
const cols = { user: 'user', item: 'item', timestamp: 'ts' };

describe('gzip input', () => {
  const seqText = '1 10 11 12\n2 10 12\n3 11 12 13\n';
  it('a gzipped file reads as its content, with the same checksum as the plain file', async () => {
    const plain = t.path('seq.txt');
    const gz = t.path('seq.txt.gz');
    writeFileSync(plain, seqText);
    writeFileSync(gz, gzipSync(Buffer.from(seqText)));
    const a = await readSequenceText(plain);
    const b = await readSequenceText(gz);
    assert.equal(b.report.rowsKept, 3);
    assert.equal(b.report.rowsRejected, 0);
    assert.equal(b.dataset.checksum, a.dataset.checksum);
    assert.deepEqual(b.dataset.sequences.map((s) => Array.from(s)), a.dataset.sequences.map((s) => Array.from(s)));
  });
  it('a gzipped CSV is not reported as invalid UTF-8', async () => {
    const gz = t.path('log.csv.gz');
    writeFileSync(gz, gzipSync(Buffer.from('user,item,ts\nu1,a,1\nu1,b,2\n')));
    const r = await readInteractions(gz, { format: 'csv', columns: cols });
    assert.equal(r.report.rowsKept, 2);
    assert.deepEqual(r.report.rejectedByCode, {});
  });
  it('truncated gzip data is a DataValidationError naming the file, not a stack trace', async () => {
    const whole = gzipSync(Buffer.from(seqText.repeat(200)));
    const cut = t.path('cut.txt.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expectDataError(readSequenceText(cut), { file: cut, message: /gzip data is corrupt or truncated/ });
  });
});

describe('a header line repeated inside the file', () => {
  it('is rejected as repeated-header, not as a bad timestamp', async () => {
    const p = t.path('concat.csv');
    writeFileSync(p, 'user,item,ts\nu1,a,1\nuser,item,ts\nu2,b,2\n');
    const r = await readInteractions(p, { format: 'csv', columns: cols });
    assertAccounting(r.report);
    assert.equal(r.report.rowsKept, 2);
    assert.deepEqual(r.report.rejectedByCode, { 'repeated-header': 1 });
    assert.equal(r.report.sample[0]!.line, 3);
  });
});
