/**
 * Child process for the kill -9 resume test: fits a neural synthesizer on a small fixed table and
 * writes a sample as JSON. Usage: fit-synth-child.ts <tvae|ctgan> <epochs> <sample.json> [checkpointDir]
 */
import { writeFileSync } from 'node:fs';
import { stderrProgress } from '../../src/core/index.ts';
import { CtganSynthesizer } from '../../src/synth/ctgan.ts';
import { TvaeSynthesizer } from '../../src/synth/tvae.ts';
import { shopTable } from './transformer-fixtures.ts';

const [kind, epochs, out, checkpointDir] = process.argv.slice(2);
const { table, metadata } = shopTable(300, 1);
const m = kind === 'ctgan'
  ? new CtganSynthesizer({ batchSize: 50, embeddingDim: 16, generatorDims: [32], discriminatorDims: [32] })
  : new TvaeSynthesizer({ batchSize: 50, embeddingDim: 16, encoderDims: [32], decoderDims: [32] });
await m.fit(table, metadata, { seed: 7, epochs: Number(epochs), progress: stderrProgress, ...(checkpointDir ? { checkpointDir } : {}) });
writeFileSync(out!, JSON.stringify(m.sample(300, { seed: 1 }).table));
