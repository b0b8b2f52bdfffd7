/**
 * The run kinds the report knows, in detection order (the first whose detect() claims a folder
 * renders it). A new kind of run (search, images): one module beside these and one line here.
 */
import { registerRunKind } from '../kinds.ts';
import { liftKind } from './lift.ts';
import { recipeKind } from './recipe.ts';
import { searchLiftKind } from './search.ts';
import { evaluateKind } from './evaluate.ts';
import { sequenceSynthesisKind, tableSynthesisKind } from './synthesize.ts';
import { coldStartKind, ctrKind } from './tasks.ts';
import { fewLabelImagesKind, fewLabelTitlesKind } from './images.ts';
import { augmentImagesKind, benchmarkKind } from './outputs.ts';

registerRunKind(recipeKind); // its results.json names its kind; the screen/ and confirm/ sub-folders are lift runs
registerRunKind(searchLiftKind); // before lift: its results.json has arms and a metric too
registerRunKind(liftKind);
registerRunKind(coldStartKind);
registerRunKind(ctrKind);
registerRunKind(evaluateKind);
registerRunKind(tableSynthesisKind);
registerRunKind(sequenceSynthesisKind);
registerRunKind(fewLabelImagesKind);
registerRunKind(fewLabelTitlesKind);
registerRunKind(benchmarkKind); // summary.json over per-model evaluate folders
registerRunKind(augmentImagesKind); // manifest.jsonl of written images
