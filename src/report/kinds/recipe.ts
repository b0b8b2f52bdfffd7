/**
 * The recipe procedure (`samplify experiment` with a `procedure:` block): screen every candidate at
 * a small budget, choose on VALIDATION only (with the margin rule), confirm baseline vs the chosen
 * arm at the full budget with the paired test on test. The page shows the three steps in that
 * order and what each cost; the screen's test numbers are never shown (they are not even written).
 * The screen/ and confirm/ sub-folders are ordinary lift experiments with their own reports.
 */
import { z } from 'zod';
import { barSpec, figure, type Datum } from '../charts.ts';
import { fmt, fmtPercent, fmtSeconds, html, note, table, type Html, type HtmlValue } from '../html.ts';
import type { RenderedRun, ReportSection, RunKind } from '../kinds.ts';
import type { RunFolder } from '../run-folder.ts';
import { curveFigures, environmentProvenance, evaluateResultsSchema, metricsSchema, readCurves, readSeedRecords, stageSchema, timingFigure } from './common.ts';
import { liftArmSchema, liftEnvironment, liftHeadline, liftResultsSchema, liftTable, segmentsSection, type LiftArm } from './lift.ts';

const candidateSchema = z.object({ name: z.string(), valid: z.number(), validLift: z.number() }).loose();

const recipeResultsSchema = z
  .object({
    kind: z.literal('recipe'),
    name: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    metric: z.string(),
    chosen: z.string().nullable(),
    screen: z.object({ seconds: z.number(), baselineValid: z.number(), candidates: z.array(candidateSchema), folder: z.string().optional(), seeds: z.number().optional() }).loose(),
    confirm: z
      .object({
        folder: z.string().optional(),
        seconds: z.number(),
        seeds: z.number().optional(),
        baseline: z.object({ test: metricsSchema, testStd: metricsSchema.optional(), valid: metricsSchema.optional() }).loose(),
        arm: z.unknown(),
      })
      .loose()
      .nullable(),
    cost: z.object({ screenSeconds: z.number(), confirmSeconds: z.number(), screenShare: z.number().optional(), screenRunSeconds: z.number().optional(), confirmRunSeconds: z.number().optional() }).loose().optional(),
    environment: z.unknown().optional(),
  })
  .loose();
type RecipeResults = z.infer<typeof recipeResultsSchema>;

const stagesFileSchema = z.object({ stages: z.array(stageSchema), wallSeconds: z.number().optional(), environment: z.unknown().optional() }).loose();

/** The margin rule of the config (procedure.minValidLift), 0 when the config does not say. */
function minValidLiftOf(res: RecipeResults): number {
  const p = res.config?.['procedure'];
  const m = p !== null && typeof p === 'object' ? (p as Record<string, unknown>)['minValidLift'] : undefined;
  return typeof m === 'number' ? m : 0;
}

async function screenSection(res: RecipeResults): Promise<Html> {
  const { metric, screen, chosen } = res;
  const margin = minValidLiftOf(res);
  const rows: HtmlValue[][] = [
    [html`<span data-field="name">baseline</span> <span class="tag">baseline</span>`, html`<span data-field="valid" data-value="${String(screen.baselineValid)}">${fmt(screen.baselineValid)}</span>`, '—', '—'],
    ...screen.candidates.map((c) => [
      html`<span data-field="name">${c.name}</span>${c.name === chosen ? html` <span class="tag sel" data-testid="chosen">chosen on validation</span>` : ''}`,
      html`<span data-field="valid" data-value="${String(c.valid)}">${fmt(c.valid)}</span>`,
      html`<span data-field="validLift" data-value="${String(c.validLift)}">${fmtPercent(c.validLift)}</span>`,
      c.validLift > margin ? 'yes' : 'no',
    ]),
  ];
  const values: Datum[] = screen.candidates.map((c) => ({ candidate: c.name, lift: c.validLift }));
  const chart = values.length ? html`<div class="charts">${await figure('screen-validation', `Screen: relative validation ${metric} lift of each candidate over the baseline (the margin rule needs more than ${fmtPercent(margin)})`, barSpec(values, { x: 'candidate', y: 'lift', yTitle: `validation ${metric} lift` }))}</div>` : '';
  return html`${table(['arm', `validation ${metric}`, 'validation lift', `beats the margin (> ${fmtPercent(margin)})`], rows, { id: 'screen-table', numeric: [1, 2] })}
${chart}
${note(`The screen trains the baseline and every candidate at a reduced budget (${screen.seeds ?? '?'} seed(s)). Only validation numbers choose: the screen's test numbers are not written, so they cannot be looked at. The rule: the candidate with the best validation ${metric} is chosen when its relative lift over the baseline's validation ${metric} is more than ${fmtPercent(margin)} (procedure.minValidLift); otherwise no expansion is recommended.`)}`;
}

async function costSection(res: RecipeResults): Promise<Html> {
  const screenS = res.cost?.screenSeconds ?? res.screen.seconds;
  const confirmS = res.cost?.confirmSeconds ?? res.confirm?.seconds ?? 0;
  const total = screenS + confirmS;
  // Recorded by the runs themselves, so it counts the work of every process that shared the folder.
  const screenRun = res.cost?.screenRunSeconds;
  const confirmRun = res.cost?.confirmRunSeconds;
  const runCell = (v: number | undefined, field: string) => (v === undefined ? '—' : html`<span data-field="${field}" data-value="${String(v)}">${fmtSeconds(v)}</span>`);
  const rows: HtmlValue[][] = [
    ['screen', `baseline + ${res.screen.candidates.length} candidate(s) × ${res.screen.seeds ?? '?'} seed(s)`, html`<span data-field="screenSeconds" data-value="${String(screenS)}">${fmtSeconds(screenS)}</span>`, total > 0 ? fmtPercent(screenS / total, 1).replace('+', '') : '—', runCell(screenRun, 'screenRunSeconds')],
    ['confirm', res.confirm ? `baseline + ${res.chosen} × ${res.confirm.seeds ?? '?'} seed(s)` : 'not run (nothing chosen)', html`<span data-field="confirmSeconds" data-value="${String(confirmS)}">${fmtSeconds(confirmS)}</span>`, total > 0 ? fmtPercent(confirmS / total, 1).replace('+', '') : '—', runCell(confirmRun, 'confirmRunSeconds')],
    [html`<strong>total</strong>`, '', fmtSeconds(total), total > 0 ? '100.0 %' : '—', screenRun !== undefined && confirmRun !== undefined ? fmtSeconds(screenRun + confirmRun) : '—'],
  ];
  const values: Datum[] = [
    { phase: 'screen', seconds: screenS },
    { phase: 'confirm', seconds: confirmS },
  ];
  return html`<div class="charts">${await figure('cost-per-phase', 'Wall-clock seconds of each phase (the price of choosing honestly, next to the confirmation)', barSpec(values, { x: 'phase', y: 'seconds', horizontal: true, height: 90 }))}</div>
${table(['phase', 'what it trains', 'wall time', 'share', 'run time, all processes'], rows, { id: 'cost-table', numeric: [2, 3, 4] })}
${note('Wall time: seconds of this process for each phase as the procedure timed it (a resumed phase reads finished seeds back and counts only what it retrained; other processes sharing the folder are not in it). Run time: the training and evaluation seconds every run of the phase recorded, whichever process trained it (a run the confirmation continued from the screen counts its continuation).')}`;
}

/** The confirm phase's arms for the lift table: the baseline and the chosen arm as results.json records them. */
function confirmArms(run: RunFolder, res: RecipeResults): LiftArm[] {
  const c = res.confirm;
  if (!c) return [];
  const arm = run.check('results.json', liftArmSchema, c.arm, 'the chosen arm is left out of the confirmation table', 'confirm.arm');
  const baseline: LiftArm = { name: 'baseline', test: c.baseline.test, ...(c.baseline.testStd ? { testStd: c.baseline.testStd } : {}), ...(c.baseline.valid ? { valid: c.baseline.valid } : {}) };
  return arm ? [baseline, arm] : [baseline];
}

export const recipeKind: RunKind = {
  name: 'recipe',
  description: 'recipe procedure (samplify experiment with procedure:): screen → choose on validation → confirm',
  detect(run) {
    const r = run.peekJson('results.json') as Record<string, unknown> | undefined;
    return r !== undefined && r !== null && r['kind'] === 'recipe';
  },
  async render(run): Promise<RenderedRun> {
    const res = run.readJson('results.json', recipeResultsSchema, 'no screen, choice, confirmation or cost (results.json is written when both phases are finished; the screen/ and confirm/ folders have their own reports)');
    const sections: ReportSection[] = [];
    const confirmDir = res?.confirm?.folder ?? 'confirm';
    const screenDir = res?.screen.folder ?? 'screen';
    if (res) {
      const arms = confirmArms(run, res);
      const chosenArm = arms[1];
      const margin = minValidLiftOf(res);
      const best = res.screen.candidates[0];
      const headline = res.chosen
        ? html`<p class="lead" data-testid="headline">The screen chose <strong>${res.chosen}</strong> on validation (${res.metric} ${fmtPercent(res.screen.candidates.find((c) => c.name === res.chosen)?.validLift)} over the baseline, more than the ${fmtPercent(margin)} margin)${chosenArm?.lift?.[res.metric] !== undefined ? html`; confirmed on test: ${res.metric} lift ${fmtPercent(chosenArm.lift[res.metric])}` : ''}.</p>`
        : html`<p class="lead" data-testid="headline">No expansion recommended: ${best ? html`the best candidate on validation, <strong>${best.name}</strong>, lifts validation ${res.metric} by ${fmtPercent(best.validLift)}, not more than the ${fmtPercent(margin)} margin` : 'no candidate was screened'}; nothing was confirmed.</p>`;
      sections.push({
        id: 'summary',
        title: 'Confirmation: baseline vs the chosen arm',
        body: arms.length
          ? html`${headline}${liftTable(arms, res.metric, res.chosen)}${note(`The confirmation trains the baseline and the chosen arm at the full budget (${res.confirm?.seeds ?? '?'} seeds); its ${confirmDir}/ folder is a lift experiment with its own report.`)}`
          : headline,
      });
      sections.push({ id: 'screen', title: 'Screen: every candidate on validation', body: await screenSection(res) });
      sections.push({ id: 'cost', title: 'Cost per phase', body: await costSection(res) });
      if (arms.length > 1) sections.push({ id: 'segments', title: 'Confirmed lift per segment', body: await segmentsSection(arms) });
    }
    // The confirmation's training curves and timings come from its own folder.
    const names = res?.confirm ? ['baseline', ...(res.chosen ? [res.chosen] : [])] : [];
    if (names.length) {
      const curves = names.flatMap((n) => readCurves(run, `${confirmDir}/arms/${n}/`, n));
      sections.push({ id: 'curves', title: 'Training curves (confirmation)', body: await curveFigures(curves) });
      const stagesFile = run.readJson(`${confirmDir}/stages.json`, stagesFileSchema, 'the time and memory of the confirmation stages are not shown', { optional: true });
      sections.push({ id: 'time', title: 'Time and memory per stage (confirmation)', body: await timingFigure(names.map((n) => ({ label: n, seeds: readSeedRecords(run, `${confirmDir}/arms/${n}/`) })), stagesFile?.stages ?? []) });
    }
    const phase = run.readJson(`${confirmDir}/results.json`, liftResultsSchema, 'the data set checksum and seeds of the confirmation are not shown', { optional: true }) ?? run.readJson(`${screenDir}/results.json`, liftResultsSchema, 'the data set checksum of the screen is not shown', { optional: true });
    const baseEval = run.readJson(`${confirmDir}/arms/baseline/results.json`, evaluateResultsSchema, 'the machine of the confirmation is not shown', { optional: true });
    const template = `samplify experiment <config.yaml> --out ${run.shown}   # the config (with its procedure block) is shown above`;
    const env = res?.environment !== undefined ? environmentProvenance(run, 'results.json', res.environment, { subcommand: 'experiment', template }) : liftEnvironment(run, undefined, baseEval);
    const wall = res ? (res.cost?.screenSeconds ?? res.screen.seconds) + (res.cost?.confirmSeconds ?? res.confirm?.seconds ?? 0) : 0;
    return {
      headline: res ? [...res.screen.candidates.flatMap((c) => (typeof c.validLift === 'number' ? [{ name: `screen · ${c.name} · valid lift ${res.metric}`, value: c.validLift }] : [])), ...liftHeadline(confirmArms(run, res).map((a) => ({ ...a, name: `confirm · ${a.name}` })))] : [],
      title: `Recipe · ${res?.name ?? run.name}`,
      subtitle: res
        ? `Screen: baseline + ${res.screen.candidates.length} candidate(s), ${res.screen.seeds ?? '?'} seed(s) → ${res.chosen ? `chosen on validation: ${res.chosen}` : 'nothing chosen'}${res.confirm ? ` → confirm: ${res.confirm.seeds ?? '?'} seeds` : ''}; metric ${res.metric}.`
        : 'results.json could not be read.',
      sections,
      provenance: {
        ...(res?.config ? { config: res.config } : {}),
        ...(phase ? { seeds: phase.seeds } : {}),
        ...(phase?.dataset?.checksum ? { datasets: [{ name: phase.dataset.name ?? 'data', checksum: phase.dataset.checksum }] } : {}),
        ...env,
        ...(wall > 0 ? { wallTime: { seconds: wall, how: 'recorded: screen + confirmation phases' } } : {}),
        extra: [['phases', html`<code>${screenDir}/</code> and <code>${confirmDir}/</code>: lift experiments, each with its own report (<code>samplify report ${run.shown}/${confirmDir}</code>)`]],
      },
    };
  },
};
