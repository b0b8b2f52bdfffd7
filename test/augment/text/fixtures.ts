/** Shared fixtures of the text-augmenter tests: a fitted context on a small Home Depot slice, and Chinese product data written for these tests. */
import type { Product, QueryGroup } from '../../../src/data/search/types.ts';
import { fitTextResources, type TextResources } from '../../../src/augment/index.ts';
import { loadHomeDepot, readHomeDepotOnce, type HomeDepotSlice } from './homedepot.ts';

await readHomeDepotOnce();

let slice: HomeDepotSlice | undefined;
let resources: TextResources | undefined;
/** The first 4000 Home Depot rows and resources fitted on them (cached per test file). */
export function homeDepotFixture(): HomeDepotSlice & { resources: TextResources } {
  slice ??= loadHomeDepot(4000);
  resources ??= fitTextResources(slice.groups, slice.products, { minSupport: 2 });
  return { ...slice, resources };
}

/** Texts every operator must keep the protected spans of. */
export const PROTECTED_INPUTS = ['iPhone 13 128GB', 'iPhone 13 128GB case', '2x4 8 ft.', '2x4 8 ft. pressure treated lumber', 'cordless drill 1/2 in. chuck with battery', 'stainless steel sink w/ drain 33 x 22 in.'];

const zhTitles: [string, string][] = [
  ['z1', '美的 电饭煲 家用 4L 智能 多功能'],
  ['z2', '美的 电饭锅 家用 3L 小型'],
  ['z3', '苹果 iPhone 13 128GB 午夜色 手机'],
  ['z4', '小米 Redmi Note 12 5G 手机 黑色'],
  ['z5', '象印 不锈钢 保温杯 500毫升 男女 便携'],
  ['z6', '膳魔师 保温壶 不锈钢 1升 家用'],
  ['z7', '苏泊尔 不锈钢 炒锅 32厘米 无涂层'],
  ['z8', '美的 空气炸锅 家用 5L 大容量'],
];
const zhJudged: [string, string, number][] = [
  ['电饭煲 家用', 'z1', 3],
  ['电饭锅 家用', 'z1', 3],
  ['电饭煲 小型', 'z2', 3],
  ['电饭锅 小型', 'z2', 3],
  ['电饭煲 智能', 'z1', 3],
  ['电饭锅 智能', 'z1', 3],
  ['苹果 手机 128GB', 'z3', 3],
  ['5G 手机', 'z4', 3],
  ['不锈钢 保温杯', 'z5', 3],
  ['不锈钢 保温壶', 'z6', 3],
  ['保温杯 便携', 'z5', 3],
  ['不锈钢 炒锅', 'z7', 3],
  ['空气炸锅 家用', 'z8', 3],
  ['保温壶 家用', 'z6', 2],
];
/** Chinese product titles and judged queries written for these tests. */
export function chineseFixture(): { groups: QueryGroup[]; products: Map<string, Product> } {
  const products = new Map(zhTitles.map(([id, title]) => [id, { id, title }]));
  const groups = zhJudged.map(([q, id, l]) => ({ query: q, key: q, productIds: [id], labels: Float64Array.of(l) }));
  return { groups, products };
}
