/**
 * Run kinds: one module per kind of run folder (evaluate, lift experiment, synthesize, ctr,
 * cold-start, …), each saying whether a folder is its kind and rendering its sections. The report
 * asks the registry, in registration order, which kind a folder is — a new kind of run (search,
 * images) is one more module in src/report/kinds/ and one line in kinds/index.ts, not a switch.
 */
import { Registry } from '../core/index.ts';
import type { Html, HtmlValue } from './html.ts';
import type { RunFolder } from './run-folder.ts';

export interface ReportSection {
  /** Anchor id (letters, digits, dashes). */
  readonly id: string;
  readonly title: string;
  readonly body: Html;
}

/** What the report says about where a run came from; absent entries print as "not recorded". */
export interface Provenance {
  readonly config?: unknown;
  readonly seeds?: readonly number[];
  /** name → checksum of each input data set. */
  readonly datasets?: readonly { readonly name: string; readonly checksum: string }[];
  /** samplify version that produced the run. */
  readonly version?: string;
  readonly machine?: string;
  readonly backend?: string;
  /** Wall time, and how it was obtained (recorded, or the sum of recorded stage times). */
  readonly wallTime?: { readonly seconds: number; readonly how: string };
  readonly command?: string;
  readonly finishedAt?: string;
  readonly extra?: readonly (readonly [string, HtmlValue])[];
}

/** One headline number of a run (what the workbench's compare view sets side by side), e.g. `crop · test NDCG@20`. */
export interface HeadlineMetric {
  readonly name: string;
  readonly value: number;
}

export interface RenderedRun {
  /** Headline, e.g. "Lift experiment · beauty-recipe". */
  readonly title: string;
  /** One sentence under the title. */
  readonly subtitle?: string;
  /** Summary first, then details. */
  readonly sections: readonly ReportSection[];
  readonly provenance: Provenance;
  /** The numbers the summary leads with, named so two runs of the kind line up (compare). */
  readonly headline?: readonly HeadlineMetric[];
}

export interface RunKind {
  readonly name: string;
  readonly description: string;
  /** True when the folder holds a run of this kind (cheap: peeks at a file or two, never throws). */
  detect(run: RunFolder): boolean;
  /** Renders what the folder holds; what is missing or corrupt goes to run.notes, never an exception. */
  render(run: RunFolder): Promise<RenderedRun>;
}

export const runKinds = new Registry<RunKind>('run kind');

export function registerRunKind(kind: RunKind): RunKind {
  runKinds.register(kind.name, kind);
  return kind;
}

/** The first registered kind that recognises the folder, or null. */
export function detectRunKind(run: RunFolder): RunKind | null {
  for (const kind of runKinds.values()) {
    try {
      if (kind.detect(run)) return kind;
    } catch {
      /* a detector that throws does not claim the folder */
    }
  }
  return null;
}
