// Offline augmentation through the library: the root API for the common steps, a subpath
// (samplify/augment) for the item similarity that CoSeRec's insert/substitute steps need.
// Run from the project root: node --import tsx examples/api-augment.ts [sequences.txt]
// ItemKNN only counts co-occurrences, so on the shipped sample the views lower its NDCG@10
// (0.0081 → 0.0046): whether an expansion helps is measured per model, which is what
// `samplify experiment` does for SASRec.
import { loadDataset, leaveOneOutSplit, loadPipeline, expandTrainView, createRecommender, fullRankingRanks, metricsFromRanks, defaultMetrics, type TrainView } from 'samplify';
import { fitItemSimilarity } from 'samplify/augment';

const path = process.argv[2] ?? 'data/sample/beauty-sample.txt';
const { dataset } = await loadDataset(path, 'seqtxt');
const split = leaveOneOutSplit(dataset);
// Fitted on the training view only, like everything the augmentation reads.
const similarity = fitItemSimilarity(split.train, { kind: 'itemcf-iuf', topK: 20 });
const pipeline = loadPipeline('examples/pipelines/coserec-default.yaml');
const augmented = expandTrainView(split.train, pipeline, { views: 2, seed: 1, similarity, maskToken: 'strip' }); // ItemKNN has no mask item

async function ndcg10(train: TrainView): Promise<number> {
  const model = createRecommender({ model: 'itemknn' });
  await model.fit(train, { seed: 0 });
  return metricsFromRanks(fullRankingRanks(model, split.valid, dataset.numItems), defaultMetrics()).means['NDCG@10']!;
}
console.log(`training sequences: ${split.train.users().length} real, ${augmented.users().length} with 2 augmented views each`);
console.log(`validation NDCG@10 (ItemKNN): real ${(await ndcg10(split.train)).toFixed(4)}, augmented ${(await ndcg10(augmented)).toFixed(4)}`);
