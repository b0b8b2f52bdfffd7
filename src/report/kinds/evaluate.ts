/** An evaluation run (`samplify evaluate`): one model over seeds, validation and test metrics. */
import { fmt, html, table } from '../html.ts';
import type { RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import { backendLine, curveFigures, evaluateResultsSchema, machineLine, rerunCommand, metricAtKFigures, metricOrder, readCurves, readSeedRecords, timingFigure } from './common.ts';

export const evaluateKind: RunKind = {
  name: 'evaluate',
  description: 'evaluation run (samplify evaluate): one model over seeds',
  detect(run) {
    const r = run.peekJson('results.json') as Record<string, unknown> | undefined;
    return r !== undefined && r !== null && typeof r === 'object' && Array.isArray(r['seeds']) && 'test' in r && 'valid' in r && !('arms' in r);
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', evaluateResultsSchema, 'no metrics, dataset or provenance (per-seed files are shown when present)');
    const sections: ReportSection[] = [];
    const seeds = res?.seeds ?? readSeedRecords(run, '');
    const model = res?.config?.['model'] as { model?: unknown } | undefined;
    const modelName = typeof model?.model === 'string' ? model.model : 'model';
    if (res) {
      const names = metricOrder([...Object.keys(res.test), ...Object.keys(res.valid)]);
      const rows = names.map((m) => [m, html`<span data-field="test.${m}" data-value="${String(res.test[m] ?? '')}">${fmt(res.test[m])}</span> ± ${fmt(res.testStd?.[m])}`, html`${fmt(res.valid[m])} ± ${fmt(res.validStd?.[m])}`]);
      sections.push({
        id: 'summary',
        title: 'Metrics',
        body: html`<p class="lead">${modelName}: test NDCG@20 <strong>${fmt(res.test['NDCG@20'])}</strong> ± ${fmt(res.testStd?.['NDCG@20'])} over ${res.seeds.length} seed(s). A single model: there is no baseline to compute a lift against (run \`samplify experiment\` for that).</p>
${table(['metric', 'test (mean ± std)', 'validation (mean ± std)'], rows, { id: 'metrics-table', numeric: [1, 2] })}
${res.pendingSeeds?.length ? html`<p class="note warn">Seeds still being trained by another worker: ${res.pendingSeeds.join(', ')}.</p>` : ''}`,
      });
      sections.push({ id: 'metrics', title: 'Metrics at K', body: await metricAtKFigures([{ label: modelName, test: res.test }]) });
      sections.push({
        id: 'seeds',
        title: 'Per seed',
        body: table(['seed', 'test NDCG@20', 'test HR@20', 'valid NDCG@20', 'best epoch', 'epochs'], seeds.map((s) => [s.seed, fmt(s.test['NDCG@20']), fmt(s.test['HR@20']), fmt(s.valid['NDCG@20']), s.bestEpoch ?? '—', s.epochs ?? '—']), { numeric: [0, 1, 2, 3, 4, 5], id: 'seeds' }),
      });
    }
    sections.push({ id: 'curves', title: 'Training curves', body: await curveFigures(readCurves(run, '', modelName)) });
    sections.push({ id: 'time', title: 'Time and memory per stage', body: await timingFigure([{ label: modelName, seeds }]) });
    const ds = res?.dataset;
    const total = seeds.reduce((s, r) => s + (r.fitSeconds ?? 0) + (r.evalSeconds ?? 0), 0);
    const cfg = res?.config;
    const cmdModel = model && typeof model === 'object' ? ` --model ${modelName}` : '';
    return {
      ...(res ? { headline: Object.entries(res.test).map(([m, v]) => ({ name: `test ${m}`, value: v })) } : {}),
      title: `Evaluation · ${modelName}${ds?.['name'] ? ` on ${String(ds['name'])}` : ''}`,
      ...(ds ? { subtitle: `${String(ds['users'] ?? '?')} users, ${String(ds['items'] ?? '?')} items, ${String(ds['testCases'] ?? '?')} test cases; split ${String(cfg?.['split'] ?? 'not recorded')}, protocol ${String(cfg?.['protocol'] ?? 'not recorded')}.` } : {}),
      sections,
      provenance: {
        ...(cfg ? { config: cfg } : {}),
        seeds: seeds.map((s) => s.seed),
        ...(typeof ds?.['checksum'] === 'string' ? { datasets: [{ name: String(ds['name'] ?? cfg?.['data'] ?? 'data'), checksum: ds['checksum'] }] } : {}),
        ...(res?.samplify ? { version: res.samplify } : {}),
        ...(machineLine(res?.machine) ? { machine: machineLine(res?.machine)! } : {}),
        ...(backendLine(res?.backend) ? { backend: backendLine(res?.backend)! } : {}),
        ...(total > 0 ? { wallTime: { seconds: total, how: 'sum of the recorded fit + evaluation times per seed (data loading not recorded)' } } : {}),
        command: rerunCommand(run, res?.command, 'evaluate', `samplify evaluate --data <${String(cfg?.['data'] ?? 'data file')}>${cfg?.['format'] ? ` --format ${String(cfg['format'])}` : ''}${cmdModel} --seeds ${seeds.length || 1}${cfg?.['epochs'] ? ` --epochs ${String(cfg['epochs'])}` : ''}${cfg?.['patience'] ? ` --patience ${String(cfg['patience'])}` : ''} --out ${run.shown}   # model config: see the config above (--set model.config.key=value)`),
      },
    };
  },
};
