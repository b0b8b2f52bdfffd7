// The library API in ten lines: read with row accounting, split leakage-free, fit, rank, score.
// Run from the project root: node --import tsx examples/api-evaluate.ts
// (In this repository `samplify` resolves to src/ through tsconfig.json "paths"; an installed
// package resolves it to dist/ through package.json "exports".)
import { loadDataset, leaveOneOutSplit, createRecommender, fullRankingRanks, metricsFromRanks, defaultMetrics } from 'samplify';

const { dataset, report } = await loadDataset('../shared/data/beauty/Beauty.txt', 'seqtxt');
console.log(`${report.rowsIn} rows in = ${report.rowsKept} kept + ${report.rowsRejected} rejected`);
const split = leaveOneOutSplit(dataset);
const model = createRecommender({ model: 'itemknn' });
await model.fit(split.train, { seed: 0 });
const ranks = fullRankingRanks(model, split.valid, dataset.numItems);
console.log(metricsFromRanks(ranks, defaultMetrics()).means);
