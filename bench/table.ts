/** Prints the Beauty results in bench/results/beauty-*.json as a markdown table (README.md and docs/results/recommendation-models.md). */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const order = ['pop', 'itemknn', 'gru4rec', 'sasrec-bce', 'sasrec-ce'];
const dir = join('bench', 'results');
const files = readdirSync(dir).filter((f) => /^beauty-.*\.json$/.test(f));
const rows = files
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')))
  .sort((a, b) => order.indexOf(a.model) - order.indexOf(b.model));
const cols = ['HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR'];
console.log(`| model | ${cols.join(' | ')} | published HR@10 / NDCG@10 / HR@20 / NDCG@20 | NDCG@20 vs published | seeds | epochs run (best) | s/epoch |`);
console.log(`|${'---|'.repeat(cols.length + 6)}`);
for (const r of rows) {
  const cells = cols.map((c) => `${r.test[c].toFixed(4)} ± ${r.testStd[c].toFixed(4)}`);
  const p = r.vsPublished;
  const pub = p ? `${p['HR@10'].published} / ${p['NDCG@10'].published} / ${p['HR@20'].published} / ${p['NDCG@20'].published}` : '–';
  const rel = p ? `${p['NDCG@20'].relative >= 0 ? '+' : ''}${(p['NDCG@20'].relative * 100).toFixed(1)} %` : '–';
  const ep = r.perSeed.map((s: { epochs: number; bestEpoch: number }) => `${s.epochs} (${s.bestEpoch})`).join(', ');
  const spe = r.perSeed[0].secondsPerEpoch;
  console.log(`| ${r.model} | ${cells.join(' | ')} | ${pub} | ${rel} | ${r.seeds} | ${r.perSeed[0].epochs ? ep : '–'} | ${spe ? spe.toFixed(1) : '–'} |`);
}
