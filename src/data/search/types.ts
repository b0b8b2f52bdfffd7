/**
 * The search family's data shapes, shared by the readers (src/data/search), the text augmenters
 * (src/augment/text), the rankers (src/models/search) and the search experiment.
 *
 * A search dataset is a product catalogue plus judged (query, product, graded label) pairs. Rankers
 * see queries as groups: every judged product of one query, scored together, evaluated per query.
 */
import type { ReadReport } from '../types.ts';

/** One product of the catalogue. Text fields are NFC-normalised UTF-8, never empty for `title`. */
export interface Product {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  /** Free-form attributes (name → value), e.g. brand, colour, size. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** One judged (query, product) pair. */
export interface SearchJudgement {
  /** The query as typed (NFC, trimmed); `normalizeQuery(query)` is its grouping key. */
  readonly query: string;
  readonly productId: string;
  /** Graded relevance on the dataset's scale (`LabelScale`); higher is more relevant. */
  readonly label: number;
  /** 1-based physical line of the row's start in the source file (for messages). */
  readonly line: number;
}

/** The label scale a dataset declares, e.g. Home Depot 1–3 (fractional means), CrowdFlower 1–4. */
export interface LabelScale {
  readonly min: number;
  readonly max: number;
}

/** A search table as read: catalogue + judgements + the row accounting of the read. */
export interface SearchDataset {
  readonly name: string;
  readonly products: ReadonlyMap<string, Product>;
  readonly judgements: readonly SearchJudgement[];
  readonly labelScale: LabelScale;
  readonly report: ReadReport;
  /** sha256 (hex) of the source bytes, when read from a file (added by the search readers). */
  readonly checksum?: string;
  /** Things about kept rows worth knowing that are not rejections (e.g. a product id seen with two titles). */
  readonly warnings?: readonly string[];
}

/** All judged products of one query, in a fixed order (as read). */
export interface QueryGroup {
  /** The query text used for features (one representative spelling of the normalised key). */
  readonly query: string;
  /** normalizeQuery(query): the key the split groups by. */
  readonly key: string;
  readonly productIds: readonly string[];
  readonly labels: Float64Array;
}

/** A query-disjoint split: no normalised query is in more than one part. */
export interface SearchSplit {
  readonly train: readonly QueryGroup[];
  readonly valid: readonly QueryGroup[];
  readonly test: readonly QueryGroup[];
  /** The products every part may reference (the catalogue view; titles are not labels). */
  readonly products: ReadonlyMap<string, Product>;
  readonly labelScale: LabelScale;
  readonly seed: number;
  /**
   * 'query-disjoint' (querySplit, the default meaning of this type) or 'in-distribution'
   * (inDistributionSplit: rows of one query spread over the parts, like the Kaggle protocols).
   * Absent means query-disjoint.
   */
  readonly kind?: 'query-disjoint' | 'in-distribution';
}
