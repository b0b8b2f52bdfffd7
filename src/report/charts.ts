/**
 * Charts: Vega-Lite specs compiled and rendered to SVG on the server (headless, `renderer: none`),
 * so the report carries finished pictures — no script, no library and no fetch when it is opened
 * (docs/decisions/report.md). Each chart is a <figure class="chart"> with a caption.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { html, trusted, type Html } from './html.ts';

/** One data row of a chart. */
export type Datum = Record<string, string | number | null>;

const WIDTH = 420;
const HEIGHT = 220;
const CONFIG = { font: 'system-ui, sans-serif', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 220 } } as const;

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  // No loader: every chart's data is inline; a spec asking for a URL fails instead of fetching.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: noFetchLoader() });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function noFetchLoader(): vega.Loader {
  const refuse = (what: string): Promise<never> => Promise.reject(new Error(`report charts never load external data (${what})`));
  return {
    options: {},
    sanitize: (uri: string) => refuse(uri),
    load: (uri: string) => refuse(uri),
    fileAccess: false,
    file: (f: string) => refuse(f),
    http: (u: string) => refuse(u),
  } as unknown as vega.Loader;
}

/** A chart figure: the SVG and a caption saying what it shows. */
export async function figure(name: string, caption: string, spec: TopLevelSpec): Promise<Html> {
  const svg = await renderSvg(spec);
  return html`<figure class="chart" data-chart="${name}">${trusted(svg)}<figcaption>${caption}</figcaption></figure>`;
}

interface XY {
  readonly x: string;
  readonly y: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Field that splits the data into coloured series. */
  readonly color?: string;
  readonly width?: number;
  readonly height?: number;
}

export function lineSpec(values: readonly Datum[], o: XY & { readonly xType?: 'quantitative' | 'ordinal'; readonly strokeDash?: string }): TopLevelSpec {
  return {
    width: o.width ?? WIDTH,
    height: o.height ?? HEIGHT,
    data: { values: [...values] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: o.x, type: o.xType ?? 'quantitative', title: o.xTitle ?? o.x, ...(o.xType === 'ordinal' ? { sort: null } : {}) },
      y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: { zero: false } },
      ...(o.color ? { color: { field: o.color, type: 'nominal', title: o.color } } : {}),
      ...(o.strokeDash ? { strokeDash: { field: o.strokeDash, type: 'nominal', title: o.strokeDash } } : {}),
    },
  } as TopLevelSpec;
}

/** Bars; with `color` and `group` set, grouped bars (xOffset) per category. */
export function barSpec(values: readonly Datum[], o: XY & { readonly group?: string; readonly errorLow?: string; readonly errorHigh?: string; readonly horizontal?: boolean }): TopLevelSpec {
  const cat = { field: o.x, type: 'nominal', title: o.xTitle ?? o.x, sort: null };
  const val = { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y };
  const bars = {
    mark: { type: 'bar' },
    encoding: {
      ...(o.horizontal ? { y: cat, x: val } : { x: cat, y: val }),
      ...(o.color ? { color: { field: o.color, type: 'nominal', title: o.color, sort: null } } : {}),
      ...(o.group ? { [o.horizontal ? 'yOffset' : 'xOffset']: { field: o.group, sort: null } } : {}),
    },
  };
  const layers: unknown[] = [bars];
  if (o.errorLow && o.errorHigh) {
    layers.push({
      mark: { type: 'rule', color: '#333' },
      encoding: {
        ...(o.horizontal ? { y: cat, x: { field: o.errorLow, type: 'quantitative' }, x2: { field: o.errorHigh } } : { x: cat, y: { field: o.errorLow, type: 'quantitative' }, y2: { field: o.errorHigh } }),
        ...(o.group ? { [o.horizontal ? 'yOffset' : 'xOffset']: { field: o.group, sort: null } } : {}),
      },
    });
  }
  return { width: o.width ?? WIDTH, height: o.height ?? HEIGHT, data: { values: [...values] }, layer: layers } as TopLevelSpec;
}

/** A histogram of numbers already binned here (so the bins are ours, stable and labelled). */
/** Equal-width bin counts live with the statistics (the privacy report bins distances too). */
export { binCounts } from '../stats/index.ts';

export function histogramSpec(values: readonly Datum[], o: XY): TopLevelSpec {
  return {
    width: o.width ?? WIDTH,
    height: o.height ?? HEIGHT,
    data: { values: [...values] },
    mark: { type: 'bar', opacity: o.color ? 0.6 : 1 },
    encoding: {
      x: { field: o.x, type: 'ordinal', title: o.xTitle ?? o.x, sort: null },
      y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, stack: null },
      ...(o.color ? { color: { field: o.color, type: 'nominal', title: o.color } } : {}),
      ...(o.color ? { xOffset: { field: o.color } } : {}),
    },
  } as TopLevelSpec;
}

export function heatmapSpec(values: readonly Datum[], o: XY & { readonly value: string; readonly valueTitle?: string; readonly domain?: readonly [number, number] }): TopLevelSpec {
  return {
    width: o.width ?? WIDTH,
    height: o.height ?? WIDTH,
    data: { values: [...values] },
    mark: { type: 'rect' },
    encoding: {
      x: { field: o.x, type: 'nominal', title: o.xTitle ?? o.x, sort: null },
      y: { field: o.y, type: 'nominal', title: o.yTitle ?? o.y, sort: null },
      color: { field: o.value, type: 'quantitative', title: o.valueTitle ?? o.value, ...(o.domain ? { scale: { domain: [...o.domain], scheme: 'viridis' } } : { scale: { scheme: 'viridis' } }) },
    },
  } as TopLevelSpec;
}
