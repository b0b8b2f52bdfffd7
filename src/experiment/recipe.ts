/**
 * The recipe as a procedure: screen → select on validation → confirm.
 *
 * A user with a new dataset declares a candidate set of arms (augmentation pipelines, neighbour
 * kinds, doses, …) and the procedure picks the one to ship, honestly:
 *   1. screen: every candidate and the baseline at a reduced budget (fewer seeds, fewer epochs);
 *   2. select: the candidate with the best VALIDATION metric, if it beats the baseline's validation
 *      metric by at least `minValidLift` (relative) — else no expansion is recommended; test
 *      numbers of the screen are never looked at (they are not even copied into the summary);
 *   3. confirm: baseline vs the chosen arm at the full budget with ≥ 3 seeds, paired test on test.
 * Both phases are ordinary lift experiments (their own folders, run store and results), so an
 * interrupted procedure resumes where it stopped, and the screen's cost (time) is reported next
 * to the confirmed gain.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { silentProgress, writeFileAtomic, writeJsonAtomic, type CancelToken, type ProgressReporter } from '../core/index.ts';
import { experimentSchema, parseWithSchema, runEnvironment, type ExperimentConfig } from './config.ts';
import { runLiftBaselines, runLiftExperiment, type ArmSummary, type LiftOptions } from './lift.ts';
import { heldRunsUnder, pauseForOtherWorkers } from './run-store.ts';

const budgetSchema = z
  .object({
    seeds: z.number().int().min(1).max(100),
    /** Maximum epochs (the experiment's `epochs` when absent). */
    epochs: z.number().int().min(1).optional(),
    patience: z.number().int().min(1).optional(),
  })
  .strict();

export const procedureSchema = z
  .object({
    screen: budgetSchema.default({ seeds: 1, epochs: 30, patience: 5 }),
    confirm: budgetSchema.default({ seeds: 3 }),
    /** A candidate is chosen only if its validation metric beats the baseline's by this relative margin. */
    minValidLift: z.number().min(0).max(1).default(0),
  })
  .strict();

/** A lift experiment config whose `arms` are the candidates, plus the procedure's budgets. */
export const recipeExperimentSchema = experimentSchema.safeExtend({ procedure: procedureSchema }).strict();
export type RecipeExperimentConfig = z.infer<typeof recipeExperimentSchema>;

export function isRecipeExperimentConfig(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && 'procedure' in raw;
}

export function parseRecipeExperimentConfig(raw: unknown, file?: string): RecipeExperimentConfig {
  return parseWithSchema(recipeExperimentSchema, raw, file);
}

export interface RecipeOptions {
  readonly config: RecipeExperimentConfig;
  readonly baseDir: string;
  readonly out: string;
  readonly progress?: ProgressReporter;
  readonly cancel?: CancelToken;
  /** How often a process waiting on runs other processes sharing the folder hold looks again (default 15 s). */
  readonly claimPollMs?: number;
}

export interface RecipeResult {
  /** The candidate validation chose, or null when none beat the baseline on validation. */
  readonly chosen: string | null;
  readonly screen: {
    readonly seconds: number;
    readonly baselineValid: number;
    readonly candidates: { readonly name: string; readonly valid: number; readonly validLift: number }[];
    /** `arm/seed N` runs of the screen whose best epoch was its epoch cap (still improving when stopped). */
    readonly stillImproving: string[];
  };
  /** Baseline vs the chosen arm at the full budget (absent when nothing was chosen). */
  readonly confirm: { readonly seconds: number; readonly arm: ArmSummary; readonly baseline: ArmSummary } | null;
  readonly table: string;
}

function phaseConfig(config: RecipeExperimentConfig, budget: z.infer<typeof budgetSchema>, arms: ExperimentConfig['arms'], suffix: string): ExperimentConfig {
  const { procedure: _procedure, ...base } = config;
  return {
    ...base,
    name: `${config.name}-${suffix}`,
    seeds: budget.seeds,
    ...(budget.epochs !== undefined ? { epochs: budget.epochs } : {}),
    ...(budget.patience !== undefined ? { patience: budget.patience } : {}),
    arms,
  };
}

export async function runRecipeExperiment(o: RecipeOptions): Promise<RecipeResult> {
  const { config } = o;
  const progress = o.progress ?? silentProgress;
  const metric = config.metric;
  const { screen: screenBudget, confirm: confirmBudget, minValidLift } = config.procedure;

  progress.line(`── screen: baseline + ${config.arms.length} candidates, ${screenBudget.seeds} seed(s)${screenBudget.epochs ? `, ≤ ${screenBudget.epochs} epochs` : ''}`);
  const screenOut = join(o.out, 'screen');
  const confirmOut = join(o.out, 'confirm');
  const t0 = performance.now();
  // While other processes finish the screen's last runs, this one starts the confirmation's
  // baseline once some finished candidate already beats the finished baseline on validation: a
  // confirmation is then certain (whichever candidate wins), and its baseline runs are the same
  // whichever arm it confirms.
  const startConfirmBaseline = async (): Promise<void> => {
    const leader = certainScreenLeader(config, screenOut);
    if (!leader) return;
    progress.line(`── the screen's finished runs already choose a candidate (${leader} leads on validation, above the baseline): the confirmation's baseline starts here while other processes finish the screen`);
    prepareConfirmFolder(config, screenOut, confirmOut, ['baseline'], progress);
    const arm = config.arms.find((a) => a.name === leader)!;
    await runLiftBaselines({ config: phaseConfig(config, confirmBudget, [arm], 'confirm'), baseDir: o.baseDir, out: confirmOut, progress, ...(o.cancel ? { cancel: o.cancel } : {}) });
  };
  const screen = await runPhase(o, { config: phaseConfig(config, screenBudget, config.arms, 'screen'), baseDir: o.baseDir, out: screenOut, progress, ...(o.cancel ? { cancel: o.cancel } : {}) }, startConfirmBaseline);
  const screenSeconds = (performance.now() - t0) / 1000;
  const [baseline, ...candidates] = screen.arms;
  const baseValid = baseline!.valid[metric]!;
  const ranked = candidates.map((a) => ({ name: a.name, valid: a.valid[metric]!, validLift: (a.valid[metric]! - baseValid) / baseValid })).sort((a, b) => b.valid - a.valid || a.name.localeCompare(b.name));
  const best = ranked[0];
  const chosen = best && best.validLift > minValidLift ? best.name : null;
  // A run whose best epoch is the screen's cap was still improving when it stopped: the screen
  // then compares under-trained models, and arms that learn more slowly (augmented ones usually do)
  // lose to the baseline for want of epochs. The procedure says so instead of hiding it.
  const stillImproving = runsAtCap(screenOut, ['baseline', ...candidates.map((a) => a.name)], screenBudget.epochs ?? config.epochs);
  if (stillImproving.length > 0) progress.line(`── note: ${stillImproving.join(', ')} reached the screen's best validation ${metric} at its last epoch (${screenBudget.epochs ?? config.epochs}): still improving, so the screen compares under-trained models; a larger procedure.screen.epochs gives a fairer choice`);
  progress.line(`── select (validation ${metric}): baseline ${baseValid.toFixed(4)}; ${ranked.map((c) => `${c.name} ${c.valid.toFixed(4)} (${c.validLift >= 0 ? '+' : ''}${(c.validLift * 100).toFixed(2)} %)`).join(', ')} → ${chosen ?? 'no candidate beats the baseline: no expansion'}`);

  let confirm: RecipeResult['confirm'] = null;
  let table = `chosen on validation: ${chosen ?? 'none (no expansion)'}`;
  if (chosen) {
    const arm = config.arms.find((a) => a.name === chosen)!;
    prepareConfirmFolder(config, screenOut, confirmOut, ['baseline', chosen], progress);
    progress.line(`── confirm: baseline vs ${chosen}, ${confirmBudget.seeds} seeds${confirmBudget.epochs ? `, ≤ ${confirmBudget.epochs} epochs` : ''}`);
    const t1 = performance.now();
    const c = await runPhase(o, { config: phaseConfig(config, confirmBudget, [arm], 'confirm'), baseDir: o.baseDir, out: confirmOut, progress, ...(o.cancel ? { cancel: o.cancel } : {}) });
    confirm = { seconds: (performance.now() - t1) / 1000, baseline: c.arms[0]!, arm: c.arms[1]! };
    table = `${c.table}\nchosen on validation in the screen: ${chosen}`;
  }
  if (stillImproving.length > 0) table += `\nstill improving at the screen's epoch cap: ${stillImproving.join(', ')}`;
  const result: RecipeResult = { chosen, screen: { seconds: screenSeconds, baselineValid: baseValid, candidates: ranked, stillImproving }, confirm, table };
  const confirmArm = confirm?.arm;
  writeJsonAtomic(join(o.out, 'results.json'), {
    kind: 'recipe',
    name: config.name,
    config,
    metric,
    chosen,
    screen: { ...result.screen, folder: 'screen', seeds: screenBudget.seeds },
    confirm: confirm
      ? {
          folder: 'confirm',
          seconds: confirm.seconds,
          seeds: confirmBudget.seeds,
          baseline: { test: confirm.baseline.test, testStd: confirm.baseline.testStd, valid: confirm.baseline.valid },
          arm: { name: confirmArm!.name, test: confirmArm!.test, testStd: confirmArm!.testStd, valid: confirmArm!.valid, lift: confirmArm!.lift, significance: confirmArm!.significance, segments: confirmArm!.segments },
        }
      : null,
    cost: {
      screenSeconds,
      confirmSeconds: confirm?.seconds ?? 0,
      screenShare: screenSeconds / (screenSeconds + (confirm?.seconds ?? 0)),
      screenRunSeconds: phaseRunSeconds(screenOut, ['baseline', ...config.arms.map((a) => a.name)]),
      confirmRunSeconds: chosen ? phaseRunSeconds(join(o.out, 'confirm'), ['baseline', chosen]) : 0,
    },
    environment: runEnvironment(),
  });
  return result;
}

/**
 * One phase (screen or confirm) to the end. Several processes may work on one procedure folder:
 * each trains the runs nobody holds, and one that finds the rest held by others waits for them
 * (their lock files) and then aggregates, so every process goes on to the next phase together
 * instead of stopping. A run whose process died is free again and is taken over on the next pass.
 */
async function runPhase(o: RecipeOptions, phase: LiftOptions, whileWaiting?: () => Promise<void>): Promise<Awaited<ReturnType<typeof runLiftExperiment>>> {
  const progress = o.progress ?? silentProgress;
  for (let first = true; ; first = false) {
    const r = await runLiftExperiment(phase);
    if (!r.pending) return r;
    if (first) progress.line(`── waiting for ${r.pending.join(', ')}: other processes sharing ${phase.out} are training them; this one goes on when they finish`);
    if (first && whileWaiting) await whileWaiting();
    while (heldRunsUnder(phase.out).length > 0) {
      await pauseForOtherWorkers({ pollMs: o.claimPollMs, cancel: o.cancel }, `runs other processes hold in ${phase.out}`);
    }
  }
}

/**
 * Readies the confirm folder: model-based generators (e.g. the embedding-neighbour SASRec) are
 * cached by content under <out>/generators, and the confirm phase links the screen's, so none is
 * trained twice; the screen's runs of `arms` are continued (continueScreenRuns).
 */
function prepareConfirmFolder(config: RecipeExperimentConfig, screenOut: string, confirmOut: string, arms: readonly string[], progress: ProgressReporter): void {
  mkdirSync(confirmOut, { recursive: true });
  if (!existsSync(join(confirmOut, 'generators')) && existsSync(join(screenOut, 'generators'))) symlinkSync(join('..', 'screen', 'generators'), join(confirmOut, 'generators'), 'dir');
  const continued = continueScreenRuns(config, screenOut, confirmOut, arms);
  if (continued.length > 0) progress.line(`── confirm continues the screen's training of ${continued.join(', ')} (same seed and data, a larger epoch cap) instead of training them again`);
}

/**
 * The candidate leading the screen on validation when its finished runs already decide that a
 * candidate will be chosen: the baseline's screen runs are all finished, and some candidate's are
 * all finished with a mean validation metric that beats the baseline's by more than
 * minValidLift. Runs still training can change which candidate wins, never that one does. Null
 * otherwise.
 */
function certainScreenLeader(config: RecipeExperimentConfig, screenOut: string): string | null {
  const { screen, minValidLift } = config.procedure;
  const metric = config.metric;
  const meanValid = (arm: string): number | null => {
    const runs = seedRuns(screenOut, [arm]).filter((r) => r.seed < screen.seeds && r.result?.valid?.[metric] !== undefined);
    return runs.length === screen.seeds ? runs.reduce((t, r) => t + r.result!.valid![metric]!, 0) / runs.length : null;
  };
  const base = meanValid('baseline');
  if (base === null) return null;
  let leader: { name: string; valid: number } | null = null;
  for (const arm of config.arms) {
    const v = meanValid(arm.name);
    if (v !== null && (leader === null || v > leader.valid)) leader = { name: arm.name, valid: v };
  }
  // The selection's own rule (runRecipeExperiment): the relative validation lift over the baseline.
  return leader && (leader.valid - base) / base > minValidLift ? leader.name : null;
}

/**
 * The screen's seed-s run of an arm is, epoch for epoch, the start of the confirm's seed-s run of
 * that arm: same model, data, augmentation and seed, and every epoch draws only from its own RNG
 * stream, so the epoch cap changes nothing before it is reached. Each such run's last checkpoint is
 * copied into the confirm's folder, where the training loop resumes it — after checking its
 * fingerprint (model, trainer, data, augmentation, seed), so a checkpoint that is not this run's
 * past is ignored and the run trains from scratch. Early stopping's state travels with the
 * checkpoint, and the fingerprint does not cover the patience, so runs continue only when both
 * phases stop with the same patience. A run the screen stopped early ends at once, with the same
 * best weights an uninterrupted confirm run would end with. Returns the `arm/seed` runs continued.
 */
function continueScreenRuns(config: RecipeExperimentConfig, screenOut: string, confirmOut: string, arms: readonly string[]): string[] {
  const { screen, confirm } = config.procedure;
  if ((screen.patience ?? config.patience) !== (confirm.patience ?? config.patience)) return [];
  const cap = (b: z.infer<typeof budgetSchema>) => b.epochs ?? config.epochs ?? Number.POSITIVE_INFINITY;
  if (cap(confirm) < cap(screen)) return [];
  const continued: string[] = [];
  for (const arm of arms) {
    for (let seed = 0; seed < Math.min(screen.seeds, confirm.seeds); seed++) {
      const rel = join('arms', arm, 'checkpoints', `seed${seed}`, 'checkpoint.bin');
      const from = join(screenOut, rel);
      const to = join(confirmOut, rel);
      if (!existsSync(from) || existsSync(to)) continue;
      mkdirSync(dirname(to), { recursive: true });
      writeFileAtomic(to, readFileSync(from));
      continued.push(`${arm}/seed ${seed}`);
    }
  }
  return continued;
}

/** The `arm/seed N` runs under `out` whose best epoch is the epoch cap `cap` (none without a cap). */
function runsAtCap(out: string, arms: readonly string[], cap: number | undefined): string[] {
  if (cap === undefined) return [];
  return seedRuns(out, arms)
    .filter(({ result: r }) => r?.bestEpoch === cap && r.epochs === cap)
    .map(({ arm, seed }) => `${arm}/seed ${seed}`);
}

/**
 * The seconds a phase's runs spent training and evaluating, as each run recorded them: the
 * phase's compute, whichever processes did it (the wall seconds beside it are this process's
 * alone). A run continued from the screen counts only its continuation.
 */
function phaseRunSeconds(out: string, arms: readonly string[]): number {
  return seedRuns(out, arms).reduce((t, { result: r }) => t + (r?.fitSeconds ?? 0) + (r?.evalSeconds ?? 0), 0);
}

/** The stored seed runs of `arms` under a phase folder, in arm then seed order. */
function seedRuns(out: string, arms: readonly string[]): { arm: string; seed: number; result: { bestEpoch?: number; epochs?: number; fitSeconds?: number; evalSeconds?: number; valid?: Record<string, number> } | undefined }[] {
  const found: ReturnType<typeof seedRuns> = [];
  for (const arm of arms) {
    const dir = join(out, 'arms', arm, 'seeds');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => /^seed\d+\.json$/.test(n)).sort((a, b) => parseInt(a.slice(4), 10) - parseInt(b.slice(4), 10))) {
      found.push({ arm, seed: parseInt(f.slice(4), 10), result: (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { result?: ReturnType<typeof seedRuns>[number]['result'] }).result });
    }
  }
  return found;
}

/** The screen phase's experiment config (what `--dry-run` plans: the confirm phase trains baseline + the chosen arm). */
export function recipeScreenConfig(config: RecipeExperimentConfig): ExperimentConfig {
  return phaseConfig(config, config.procedure.screen, config.arms, 'screen');
}
