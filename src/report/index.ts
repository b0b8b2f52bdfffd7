export { buildReport, writeReport, samplifyVersion } from './build.ts';
export type { BuiltReport } from './build.ts';
export { runKinds, registerRunKind, detectRunKind } from './kinds.ts';
export type { RunKind, RenderedRun, ReportSection, Provenance, HeadlineMetric } from './kinds.ts';
export { RunFolder } from './run-folder.ts';
export type { ReportNote } from './run-folder.ts';
export { html, escapeHtml, Html, table, trusted } from './html.ts';
export type { HtmlValue } from './html.ts';
