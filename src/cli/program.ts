/** The command-line program: every command, its options and help (src/cli/main.ts runs it and maps errors to exit codes). */
import { Command, InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { CancelToken, ConfigError, jsonLinesProgress, layerConfig, stderrProgress } from '../core/index.ts';
import { runEvaluation, runBenchmark, fmtMetrics, validateData, augmentFile, augmentImages, runLiftExperiment, parseExperimentConfig, checkExperimentPipelines } from '../experiment/index.ts';
import { runRecipeExperiment, parseRecipeExperimentConfig, isRecipeExperimentConfig, recipeScreenConfig } from '../experiment/index.ts';
import { runFewLabelExperiment, parseFewLabelExperimentConfig, isFewLabelExperimentConfig, checkFewLabelPipelines, dryRunFewLabelExperiment } from '../experiment/index.ts';
import { runSearchExperiment, parseSearchExperimentConfig, isSearchExperimentConfig, checkSearchPipelines, dryRunLiftExperiment, dryRunSearchExperiment, dryRunCtrTask, dryRunColdStartTask, formatDryRun, type DryRunPlan } from '../experiment/index.ts';
import { runSequenceSynthesis, runSynthesis, runCtrTask, runColdStartTask, parseSynthesizeConfig, parseCtrTaskConfig, parseColdStartTaskConfig } from '../experiment/index.ts';
import { resolveSynthesizeOutputs, synthesizeConfigWithOutput, runOutputDir, type AnySynthesizeConfig } from '../experiment/index.ts';
import { parseSequenceSynthesizeConfig, isSequenceSynthesizeConfig, readRawConfig, splitSettings, applySettings, parseLayered, type Settings } from '../experiment/index.ts';
import { evaluateCommandSchema, augmentCommandSchema, augmentImagesCommandSchema, validateCommandSchema, benchmarkCommandSchema, loadOptionsOf, TABLE_COLUMN_DEFAULTS, DEFAULT_EXCLUDE, EXCLUDE_MODES } from '../experiment/index.ts';
import { DATA_FORMATS, type DataFormat } from '../data/index.ts';
import { MODEL_NAMES, type ModelName, type ModelSpec } from '../models/index.ts';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeReport } from '../report/index.ts';
import { startWorkbench } from '../serve/index.ts';
import { submitLiftExperiment, submitSearchExperiment, startWorker, queueStatus, formatStatus, checkQueueUrl, DEFAULT_QUEUE_NAME } from '../distributed/index.ts';
import { prepareCommandSchema, runPrepareCommand, formatPrepareResult } from './prepare.ts';

/**
 * Every command layers its config the same way — schema defaults < config file < command line
 * (flags and `--set key.path=value`, in the order given) — and parses it completely, settings
 * included, before any work: a bad key is exit 2 naming its key path.
 */
const EXIT_CODES = `
Exit codes:
  0    ok
  1    internal error (a bug; rerun with SAMPLIFY_DEBUG=1 for the stack trace)
  2    bad config or usage (the message names the key, e.g. model.config.hiden)
  3    bad input data (file, line and field named)
  4    model state (a model used before fit, or a saved model of another kind)
  130  interrupted (Ctrl-C; outputs so far are complete files, rerun to resume)`;

function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function choice<T extends string>(name: string, options: readonly T[]) {
  return (v: string): T => {
    if (!(options as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${options.join(', ')}`);
    return v as T;
  };
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** The command-line layer: what the flags set (as key paths), then every --set, in order. */
type Layer = Record<string, unknown>;

interface CommonFlags {
  set?: string[];
  threads?: number;
  backend?: 'auto' | 'native' | 'typescript';
}

/** `--json`: the command's result as one JSON object on stdout (progress stays on stderr), for scripts. */
function printResult(json: boolean | undefined, text: string, value: unknown): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text.endsWith('\n') ? text : `${text}\n`);
}

/** A dry run's plan, as text or (--json) JSON. */
function printPlan(plan: DryRunPlan, json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatDryRun(plan)}\n`);
}

/** A worker's progress line as a JSON event: `[job] text` lines belong to a job (completed / failed / progress); the rest are the worker's own. */
function workerEvent(text: string): Record<string, unknown> {
  const m = /^\[([^\]]+)\] ([\s\S]*)$/.exec(text);
  if (!m) return { event: 'worker', text };
  const event = m[2] === 'completed' ? 'completed' : /^(?:failed|rejected|attempt \d+ failed)/.test(m[2]!) ? 'failed' : 'progress';
  return { job: m[1], event, text: m[2] };
}

/** A run's results.json as written, for `--json` output. */
function readResults(dir: string): unknown {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
}

/** `--set`, `--threads`, `--backend`: every command has them. */
function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--set <key.path=value>', 'override any config key (repeatable; the value is read as YAML/JSON), e.g. --set seeds=1 --set model.config.hidden=32', collect)
    .option('--threads <n>', 'BLAS threads (setting settings.threads; default: SAMPLIFY_THREADS, else min(2, cores))', int('threads', 1))
    .option('--backend <name>', 'nn kernels: auto, native (OpenBLAS) or typescript (setting settings.backend)', choice('backend', ['auto', 'native', 'typescript'] as const));
}

function settingsLayer(o: CommonFlags): Layer {
  return { ...(o.threads !== undefined || o.backend !== undefined ? { settings: { ...(o.threads !== undefined ? { threads: o.threads } : {}), ...(o.backend !== undefined ? { backend: o.backend } : {}) } } : {}) };
}

/** Parses flags (as a layer over the file) and --set for a command with `schema`; settings are applied here, before any work. */
function resolveConfig<S extends z.ZodType>(schema: S, file: unknown, flags: Layer, o: CommonFlags, source?: string): z.infer<S> {
  const { config, settings } = parseLayered(schema, layerConfig(file ?? {}, { ...flags, ...settingsLayer(o) }), o.set ?? [], source);
  applySettings(settings);
  return config;
}

/** A config file with the command line over it: the merged plain data and its settings (not yet applied). */
function layeredFile(path: string, flags: Layer, o: CommonFlags): { raw: unknown; settings: Settings; baseDir: string } {
  const { settings, rest } = splitSettings(layerConfig(readRawConfig(path), { ...flags, ...settingsLayer(o) }, o.set ?? []));
  return { raw: rest, settings, baseDir: dirname(resolve(path)) };
}

const D = TABLE_COLUMN_DEFAULTS;

interface ColumnFlags {
  userCol?: string;
  itemCol?: string;
  timeCol?: string;
  eventCol?: string;
  eventTypes?: string;
  rejected?: string;
}

/** Column flags shared by every command that reads CSV/TSV/JSONL/Parquet (keys data.columns.*, data.eventTypes, data.rejected). */
function withColumnOptions(cmd: Command): Command {
  return cmd
    .option('--user-col <name>', `user id column (csv/tsv/jsonl/parquet; default: ${D.user})`)
    .option('--item-col <name>', `item id column (default: ${D.item})`)
    .option('--time-col <name>', `timestamp column, or 'none' to keep file order (default: ${D.timestamp})`)
    .option('--event-col <name>', 'event type column (e.g. view/cart/purchase)')
    .option('--event-types <list>', 'comma-separated allowed event types; other values are rejected rows')
    .option('--rejected <file>', 'write rejected rows here (JSONL, with file, line, field, reason)');
}

function dataLayer(o: ColumnFlags & { data?: string; format?: DataFormat }): Layer {
  const columns = { ...(o.userCol ? { user: o.userCol } : {}), ...(o.itemCol ? { item: o.itemCol } : {}), ...(o.timeCol ? { timestamp: o.timeCol } : {}), ...(o.eventCol ? { eventType: o.eventCol } : {}) };
  const data = {
    ...(o.data !== undefined ? { path: o.data } : {}),
    ...(o.format !== undefined ? { format: o.format } : {}),
    ...(Object.keys(columns).length ? { columns } : {}),
    ...(o.eventTypes ? { eventTypes: o.eventTypes.split(',').map((s) => s.trim()) } : {}),
    ...(o.rejected ? { rejected: o.rejected } : {}),
  };
  return Object.keys(data).length ? { data } : {};
}

/** Drops undefined flags so they do not hide what a lower layer says. */
function defined(o: Record<string, unknown>): Layer {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function cancelOnSigint(): CancelToken {
  const token = new CancelToken();
  process.on('SIGINT', () => {
    if (token.cancelled) process.exit(130);
    process.stderr.write('\ninterrupt: finishing the current batch and stopping (press Ctrl-C again to quit at once)\n');
    token.cancel();
  });
  return token;
}

/** The ModelSpec as the user wrote it (no empty trainer added: fingerprints and results record what was given). */
function writtenModelSpec(m: { model: ModelName; config: Record<string, unknown>; trainer: Record<string, unknown> }): ModelSpec {
  return { model: m.model, config: m.config, ...(Object.keys(m.trainer).length > 0 ? { trainer: m.trainer } : {}) };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('samplify')
    .description('Expand e-commerce recommendation training data and measure what it does to the model.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', `
Every command takes --set key.path=value (repeatable), --threads and --backend. Values are
layered: schema defaults < config file < command line (flags and --set, in order); an unknown
key fails before any work, naming its key path.

Examples:
  $ samplify benchmark --quick
  $ samplify evaluate --data ../shared/data/beauty/Beauty.txt --model sasrec --set model.config.loss=ce --out runs/sasrec
  $ samplify experiment bench/configs/beauty-ce-input-mask.yaml --set seeds=1 --threads 1
  $ samplify synthesize examples/synth/shop-events-autoregressive.yaml --set synthesizer.params.epochs=2
${EXIT_CODES}`);

  withColumnOptions(program
    .command('evaluate'))
    .description('train a recommender on a leave-one-out split and evaluate it with full ranking (HR/NDCG/MRR), over several seeds')
    .option('--data <file>', 'interaction or sequence file (required; key data.path)')
    .option('--format <format>', `input format: ${DATA_FORMATS.join(', ')} (default: seqtxt)`, choice('format', DATA_FORMATS))
    .option('--model <model>', `model: ${MODEL_NAMES.join(', ')} (required; key model.model)`, choice('model', MODEL_NAMES))
    .option('--loss <loss>', 'loss of neural models: bce (one sampled negative, the SASRec paper) or ce (full softmax, RecBole); key model.config.loss', choice('loss', ['bce', 'ce'] as const))
    .option('--seeds <n>', 'number of seeds (seed, seed+1, …; default: 1)', int('seeds', 1))
    .option('--seed <n>', 'first seed (default: 0)', int('seed', 0))
    .option('--epochs <n>', 'maximum training epochs', int('epochs', 1))
    .option('--patience <n>', 'early-stopping patience on validation NDCG@20', int('patience', 1))
    .option('--protocol <p>', 'full (rank all items) or sampled (target + 99 negatives); default: full', choice('protocol', ['full', 'sampled'] as const))
    .option('--exclude <mode>', `history items before ranking: neg-inf, zero (CoSeRec quirk), none; default: ${DEFAULT_EXCLUDE}`, choice('exclude', EXCLUDE_MODES))
    .option('--hidden <n>', 'hidden size of neural models (key model.config.hidden)', int('hidden', 1))
    .option('--max-len <n>', 'longest history a neural model reads (key model.config.maxLen)', int('max-len', 1))
    .option('--out <dir>', 'output directory: results.json, ranks/, checkpoints/ (required; key out)')
    .option('--json', 'print the results as one JSON object on stdout')
    .addHelpText('after', `
Examples:
  $ samplify evaluate --data ../shared/data/beauty/Beauty.txt --model pop --out runs/pop --json
  $ samplify evaluate --data ../shared/data/beauty/Beauty.txt --model sasrec --loss ce --seeds 3 --out runs/sasrec-ce
  $ samplify evaluate --data ../shared/data/beauty/Beauty.txt --model sasrec --set model.config.blocks=1 --set model.trainer.batchSize=128 --out runs/s1
  $ samplify evaluate --data ../shared/data/ml-100k/ml-100k.inter --format recbole --model itemknn --out runs/ml`)
    .action(async (o: CommonFlags & ColumnFlags & { data?: string; format?: DataFormat; model?: ModelName; loss?: 'bce' | 'ce'; seeds?: number; seed?: number; epochs?: number; patience?: number; protocol?: 'full' | 'sampled'; exclude?: (typeof EXCLUDE_MODES)[number]; hidden?: number; maxLen?: number; out?: string; json?: boolean }) => {
      const networkConfig = defined({ loss: o.loss, hidden: o.hidden, maxLen: o.maxLen });
      const flags: Layer = {
        ...dataLayer(o),
        ...(o.model !== undefined || Object.keys(networkConfig).length ? { model: { ...(o.model !== undefined ? { model: o.model } : {}), ...(Object.keys(networkConfig).length ? { config: networkConfig } : {}) } } : {}),
        ...defined({ seeds: o.seeds, seed: o.seed, epochs: o.epochs, patience: o.patience, protocol: o.protocol, exclude: o.exclude, out: o.out }),
      };
      const c = resolveConfig(evaluateCommandSchema, {}, flags, o);
      const result = await runEvaluation({
        data: c.data.path,
        format: c.data.format,
        load: loadOptionsOf(c.data),
        model: writtenModelSpec(c.model),
        seeds: Array.from({ length: c.seeds }, (_, i) => c.seed + i),
        ...(c.epochs !== undefined ? { epochs: c.epochs } : {}),
        ...(c.patience !== undefined ? { patience: c.patience } : {}),
        protocol: c.protocol,
        exclude: c.exclude,
        out: c.out,
        progress: stderrProgress,
        cancel: cancelOnSigint(),
      });
      if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
      else process.stdout.write(`test  ${fmtMetrics(result.test)}\nvalid ${fmtMetrics(result.valid)}\nwritten: ${c.out}/results.json\n`);
    });

  withColumnOptions(program
    .command('validate'))
    .description('read a data file with row-level accounting: rows in = kept + rejected, rejected rows written with file, line, field and reason')
    .option('--data <file>', 'input file (required; key data.path)')
    .option('--format <format>', `input format: ${DATA_FORMATS.join(', ')} (default: seqtxt)`, choice('format', DATA_FORMATS))
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
Examples:
  $ samplify validate --data ../shared/data/taobao/Taobao.txt
  $ samplify validate --data events.csv --format csv --event-col event_type --event-types view,cart,purchase --rejected rejected.jsonl`)
    .action(async (o: CommonFlags & ColumnFlags & { data?: string; format?: DataFormat; json?: boolean }) => {
      const c = resolveConfig(validateCommandSchema, {}, dataLayer(o), o);
      const summary = await validateData(c.data.path, c.data.format, loadOptionsOf(c.data), stderrProgress);
      process.stdout.write(o.json ? JSON.stringify(summary) + '\n' : summary.text + '\n');
    });

  withColumnOptions(program
    .command('prepare'))
    .description('prepare an interaction log larger than memory through DuckDB: validation with row accounting, duplicates, dense ids, k-core, split; optionally sharded offline augmentation (Parquet parts + manifests). Writes users/items/interactions.parquet, sequences.txt, summary.json, rejected.jsonl')
    .argument('<log>', 'the log: csv/tsv with a header line, jsonl or parquet (key data.path)')
    .option('--out <dir>', 'output folder; must not exist yet (written beside it, then renamed into place; required; key out)')
    .option('--format <format>', 'csv, tsv, jsonl or parquet (default: csv)', choice('format', ['csv', 'tsv', 'jsonl', 'parquet'] as const))
    .option('--id-type <type>', 'token (default: any id without whitespace) or integer', choice('id-type', ['token', 'integer'] as const))
    .option('--k-core <k>', 'drop users and items with fewer than k interactions, repeatedly (default: 1, no filtering)', int('k-core', 1))
    .option('--split <kind>', 'leave-one-out (default) or temporal (key split.kind; fractions: --set split.validFraction=0.1)', choice('split', ['leave-one-out', 'temporal'] as const))
    .option('--memory-limit <size>', "DuckDB's memory limit, e.g. 512MB (default 1GB); past it DuckDB spills to --temp-dir")
    .option('--temp-dir <dir>', 'where DuckDB spills (default: inside the output folder, removed afterwards)')
    .option('--db-threads <n>', 'DuckDB threads (default: 2)', int('db-threads', 1))
    .option('--no-sequences', 'skip sequences.txt')
    .option('--pipeline <file>', 'also expand the training parts with this (context-free) augmentation pipeline into <out>/augmented (key augment.pipeline)')
    .option('--shards <n>', 'augmentation shards by user hash, each with its Parquet parts and manifest (default: 1)', int('shards', 1))
    .option('--views <k>', 'augmented views per user (default: 1)', int('views', 1))
    .option('--seed <n>', 'augmentation seed (default: 0)', int('seed', 0))
    .option('--json', 'print the result (read report, k-core, split, augmentation) as one JSON object')
    .addHelpText('after', `
Examples:
  $ samplify prepare events.csv --out prepared --k-core 5 --memory-limit 512MB
  $ samplify prepare events.parquet --format parquet --user-col user --item-col item --out prepared --pipeline examples/pipelines/crop-reorder.yaml --shards 4`)
    .action(async (log: string, o: CommonFlags & ColumnFlags & { out?: string; format?: string; idType?: string; kCore?: number; split?: string; memoryLimit?: string; tempDir?: string; dbThreads?: number; sequences?: boolean; pipeline?: string; shards?: number; views?: number; seed?: number; json?: boolean }) => {
      const { format, ...columnFlags } = o;
      const { data: columnData } = dataLayer(columnFlags) as { data?: Layer };
      const augment = defined({ pipeline: o.pipeline, shards: o.shards, views: o.views, seed: o.seed });
      const flags: Layer = {
        data: { ...columnData, path: log, ...defined({ format, idType: o.idType }) },
        ...defined({ out: o.out, kCore: o.kCore, memoryLimit: o.memoryLimit, tempDir: o.tempDir, dbThreads: o.dbThreads }),
        ...(o.split !== undefined ? { split: { kind: o.split } } : {}),
        ...(o.sequences === false ? { sequences: false } : {}),
        ...(Object.keys(augment).length ? { augment } : {}),
      };
      const c = resolveConfig(prepareCommandSchema, {}, flags, o);
      const r = await runPrepareCommand(c, stderrProgress);
      const { sample: _sample, ...report } = r.prepared.report;
      printResult(o.json, formatPrepareResult(r), { ...r, prepared: { ...r.prepared, report } });
    });

  program
    .command('benchmark')
    .description('the main job: Popularity, ItemKNN, GRU4Rec and SASRec on Amazon Beauty (leave-one-out, full ranking) next to the published numbers; --quick runs Popularity, ItemKNN and 15 epochs of SASRec')
    .option('--quick', 'few epochs, one seed: a few minutes on 2 cores')
    .option('--data <file>', 'Beauty.txt to use (default: ../shared/data/beauty/Beauty.txt, else the shipped sample)')
    .option('--models <list>', 'comma-separated subset, e.g. pop,sasrec-ce')
    .option('--seeds <n>', 'seeds per model', int('seeds', 1))
    .option('--epochs <n>', 'maximum epochs for neural models', int('epochs', 1))
    .option('--out <dir>', 'output directory (default: runs/benchmark)')
    .option('--json', 'print the summary (also written to <out>/summary.json) as JSON instead of the table')
    .addHelpText('after', `
Examples:
  $ samplify benchmark --quick
  $ samplify benchmark --models sasrec-ce,sasrec-bce --seeds 3 --out runs/full`)
    .action(async (o: CommonFlags & { quick?: boolean; data?: string; models?: string; seeds?: number; epochs?: number; out?: string; json?: boolean }) => {
      const c = resolveConfig(benchmarkCommandSchema, {}, defined({ quick: o.quick, data: o.data, models: o.models, seeds: o.seeds, epochs: o.epochs, out: o.out }), o);
      await runBenchmark({ ...(c.quick ? { quick: true } : {}), ...defined({ data: c.data, models: c.models, seeds: c.seeds, epochs: c.epochs }), out: c.out, progress: stderrProgress, cancel: cancelOnSigint(), ...(o.json ? { json: true } : {}) });
    });

  withColumnOptions(program
    .command('augment'))
    .description("expand each user's training part (leave-one-out: validation/test items are never read) with an augmentation pipeline; one sample per line with its source user and the operator chain")
    .option('--data <file>', 'input file (required; key data.path)')
    .option('--format <format>', `input format: ${DATA_FORMATS.join(', ')} (default: seqtxt)`, choice('format', DATA_FORMATS))
    .option('--pipeline <file>', 'pipeline (YAML or JSON), e.g. examples/pipelines/crop-reorder.yaml (required; key pipeline)')
    .option('--views <k>', 'augmented views per user (default: 1)', int('views', 1))
    .option('--seed <n>', 'seed (same seed and input: byte-identical output; default: 0)', int('seed', 0))
    .option('--out <file>', 'output .jsonl or .parquet, written to a temp file, then renamed (required; key out)')
    .option('--json', 'print {samples, users, path} as JSON')
    .addHelpText('after', `
Examples:
  $ samplify augment --data ../shared/data/beauty/Beauty.txt --pipeline examples/pipelines/crop-reorder.yaml --views 2 --seed 1 --out runs/beauty-aug.jsonl
  $ samplify augment --data ../shared/data/beauty/Beauty.txt --pipeline examples/pipelines/coserec-default.yaml --views 5 --out runs/aug.parquet`)
    .action(async (o: CommonFlags & ColumnFlags & { data?: string; format?: DataFormat; pipeline?: string; views?: number; seed?: number; out?: string; json?: boolean }) => {
      const c = resolveConfig(augmentCommandSchema, {}, { ...dataLayer(o), ...defined({ pipeline: o.pipeline, views: o.views, seed: o.seed, out: o.out }) }, o);
      const r = await augmentFile({ data: c.data.path, format: c.data.format, load: loadOptionsOf(c.data), pipeline: c.pipeline, views: c.views, seed: c.seed, out: c.out, progress: stderrProgress });
      printResult(o.json, `${r.samples} samples from ${r.users} users written to ${r.path}`, { samples: r.samples, users: r.users, path: r.path });
    });

  program
    .command('augment-images')
    .description('expand a folder of images (labels from class sub-folders) into a new folder: augmented PNG copies of every readable image, a manifest with each copy\'s operator chain, labels.csv; unreadable files are counted skips')
    .option('--images <dir>', 'source folder (required; key images)')
    .option('--pipeline <file>', 'image pipeline (YAML or JSON, family: image), e.g. examples/pipelines/images/product-photos.yaml (required; key pipeline)')
    .option('--views <k>', 'augmented copies per image (default: 1)', int('views', 1))
    .option('--seed <n>', 'seed (same seed and input: byte-identical files, whatever the number of workers; default: 0)', int('seed', 0))
    .option('--labels <how>', 'subfolders (default: the first folder level names the class) or none', choice('labels', ['subfolders', 'none'] as const))
    .option('--channels <n>', 'decode to 1 (grey), 3 (RGB, default) or 4 (RGBA) channels', choice('channels', ['1', '3', '4'] as const))
    .option('--resize <WxH>', 'resize every image before augmenting, e.g. 224x224')
    .option('--workers <n>', 'worker threads (default: the available cores)', int('workers', 0))
    .option('--out <dir>', 'output folder; must not exist yet (written beside it, then renamed into place; required; key out)')
    .option('--json', 'print {images, written, skipCounts, path} as JSON')
    .addHelpText('after', `
Examples:
  $ samplify augment-images --images photos/ --pipeline examples/pipelines/images/product-photos.yaml --views 4 --seed 1 --out runs/photos-aug
  $ samplify augment-images --images photos/ --pipeline examples/pipelines/images/product-photos.yaml --resize 224x224 --workers 2 --out runs/photos-224`)
    .action(async (o: CommonFlags & { images?: string; pipeline?: string; views?: number; seed?: number; labels?: 'subfolders' | 'none'; channels?: '1' | '3' | '4'; resize?: string; workers?: number; out?: string; json?: boolean }) => {
      const c = resolveConfig(augmentImagesCommandSchema, {}, defined({ images: o.images, pipeline: o.pipeline, views: o.views, seed: o.seed, labels: o.labels, channels: o.channels === undefined ? undefined : Number(o.channels), resize: o.resize, workers: o.workers, out: o.out }), o);
      const [w, h] = c.resize ? c.resize.split('x').map(Number) : [];
      const r = await augmentImages({ images: c.images, pipeline: c.pipeline, views: c.views, seed: c.seed, labels: c.labels, channels: c.channels, ...(w && h ? { resize: { width: w, height: h } } : {}), ...(c.workers !== undefined ? { workers: c.workers } : {}), out: c.out, progress: stderrProgress });
      const skipped = Object.entries(r.skipCounts).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`).join(', ');
      printResult(o.json, `${r.written} augmented images from ${r.images} sources written to ${r.path}${skipped ? ` (skipped: ${skipped})` : ''}`, { images: r.images, written: r.written, skipCounts: r.skipCounts, path: r.path });
    });

  program
    .command('experiment')
    .description('the lift experiment: baseline vs each augmentation arm, several seeds, paired significance and segments (sequences, search with task: search, few-label image or title classification with task: few-label)')
    .argument('<config>', 'experiment config (YAML or JSON)')
    .option('--out <dir>', "output directory (key out; default: runs/<name>)")
    .option('--dry-run', 'check the config end to end without training or writing anything: data and its row accounting, split, every arm built against the data, the plan of runs and an estimate of their time')
    .option('--json', 'print results.json (or, with --dry-run, the plan) as JSON')
    .option('--queue <url>', 'run the (arm, seed) units (sequence lift or search) on queue workers: redis://[:password@]host:port/db or rediss:// (TLS); see docs/guide/scaling-out.md')
    .option('--queue-name <name>', `BullMQ queue name (default: ${DEFAULT_QUEUE_NAME})`)
    .option('--store <dir>', 'with --queue: the shared store folder every worker sees at the same path (default: the output directory)')
    .addHelpText('after', `
Examples:
  $ samplify experiment examples/experiments/beauty-lift.yaml
  $ samplify experiment examples/experiments/beauty-lift.yaml --dry-run
  $ samplify experiment bench/configs/beauty-lift.yaml --set seeds=1 --set arms[0].views=2
  $ samplify experiment examples/experiments/homedepot-search-lift.yaml
  $ samplify experiment examples/experiments/pricerunner-few-label.yaml
  $ samplify experiment examples/experiments/beauty-lift.yaml --queue redis://127.0.0.1:6379/0 --store /mnt/shared/beauty-lift`)
    .action(async (configPath: string, o: CommonFlags & { out?: string; dryRun?: boolean; json?: boolean; queue?: string; queueName?: string; store?: string }) => {
      const f = layeredFile(configPath, {}, o);
      if (o.queue !== undefined && !o.dryRun) {
        checkQueueUrl(o.queue);
        if (isFewLabelExperimentConfig(f.raw)) throw new ConfigError('a few-label experiment runs in this process for now (its units sit on the run store, but no queue worker runs them yet); drop --queue', { field: 'queue' });
        if (isSearchExperimentConfig(f.raw)) {
          const config = parseSearchExperimentConfig(f.raw, configPath);
          checkSearchPipelines(config, f.baseDir);
          applySettings(f.settings);
          const store = o.store ?? runOutputDir({ cliOut: o.out, configOut: config.out, baseDir: f.baseDir, name: config.name });
          const r = await submitSearchExperiment({ config, baseDir: f.baseDir, store, url: o.queue, ...(o.queueName ? { queueName: o.queueName } : {}), progress: stderrProgress, cancel: cancelOnSigint() });
          if (o.json) printResult(true, '', r.pending ? { pending: r.pending } : readResults(store));
          else process.stdout.write(r.table + (r.pending ? '\n' : `\nwritten: ${store}/results.json, ${store}/results.csv\n`));
          return;
        }
        const config = parseExperimentConfig(f.raw, configPath);
        checkExperimentPipelines(config, f.baseDir);
        applySettings(f.settings);
        const store = o.store ?? runOutputDir({ cliOut: o.out, configOut: config.out, baseDir: f.baseDir, name: config.name });
        const r = await submitLiftExperiment({ config, baseDir: f.baseDir, store, url: o.queue, ...(o.queueName ? { queueName: o.queueName } : {}), progress: stderrProgress, cancel: cancelOnSigint() });
        if (o.json) printResult(true, '', r.pending ? { pending: r.pending } : readResults(store));
        else process.stdout.write(r.pending ? r.table + '\n' : r.table + `\nwritten: ${store}/results.json, ${store}/results.csv\n`);
        return;
      }
      if (isFewLabelExperimentConfig(f.raw)) {
        const config = parseFewLabelExperimentConfig(f.raw, configPath);
        checkFewLabelPipelines(config, f.baseDir);
        applySettings(f.settings);
        if (o.dryRun) {
          const plan = await dryRunFewLabelExperiment(config, f.baseDir);
          return void process.stdout.write(o.json ? `${JSON.stringify(plan, null, 2)}\n` : `${plan.lines.join('\n')}\n`);
        }
        const out = runOutputDir({ cliOut: o.out, configOut: config.out, baseDir: f.baseDir, name: config.name });
        const r = await runFewLabelExperiment({ config, baseDir: f.baseDir, out, progress: stderrProgress, cancel: cancelOnSigint() });
        if (o.json) printResult(true, '', r.pending ? { pending: r.pending } : readResults(out));
        else process.stdout.write(r.pending ? r.table + '\n' : r.table + `\nwritten: ${out}/results.json (timings: ${out}/stages.json)\n`);
        return;
      }
      if (isSearchExperimentConfig(f.raw)) {
        const config = parseSearchExperimentConfig(f.raw, configPath);
        checkSearchPipelines(config, f.baseDir);
        applySettings(f.settings);
        if (o.dryRun) return printPlan(await dryRunSearchExperiment(config, f.baseDir), o.json);
        const out = runOutputDir({ cliOut: o.out, configOut: config.out, baseDir: f.baseDir, name: config.name });
        const r = await runSearchExperiment({ config, baseDir: f.baseDir, out, progress: stderrProgress, cancel: cancelOnSigint() });
        if (o.json) printResult(true, '', r.pending ? { pending: r.pending } : readResults(out));
        else if (r.pending) process.stdout.write(r.table + '\n');
        else process.stdout.write(r.table + `\nwritten: ${out}/results.json, ${out}/results.csv\n`);
        return;
      }
      if (isRecipeExperimentConfig(f.raw)) {
        const config = parseRecipeExperimentConfig(f.raw, configPath);
        checkExperimentPipelines(config, f.baseDir);
        applySettings(f.settings);
        if (o.dryRun) {
          const plan = await dryRunLiftExperiment(recipeScreenConfig(config), f.baseDir);
          printPlan(plan, o.json);
          if (!o.json) process.stdout.write(`then: the candidate validation chooses is confirmed against the baseline with ${config.procedure.confirm.seeds} seeds${config.procedure.confirm.epochs ? ` and ≤ ${config.procedure.confirm.epochs} epochs` : ' at the full budget'}\n`);
          return;
        }
        const out = runOutputDir({ cliOut: o.out, configOut: config.out, baseDir: f.baseDir, name: config.name });
        const r = await runRecipeExperiment({ config, baseDir: f.baseDir, out, progress: stderrProgress, cancel: cancelOnSigint() });
        if (o.json) printResult(true, '', readResults(out));
        else process.stdout.write(`${r.table}\nwritten: ${out}/results.json (screen: ${out}/screen, confirmation: ${out}/confirm)\n`);
        return;
      }
      const config = parseExperimentConfig(f.raw, configPath);
      checkExperimentPipelines(config, f.baseDir);
      applySettings(f.settings);
      if (o.dryRun) return printPlan(await dryRunLiftExperiment(config, f.baseDir), o.json);
      const out = runOutputDir({ cliOut: o.out, configOut: config.out, baseDir: f.baseDir, name: config.name });
      const r = await runLiftExperiment({ config, baseDir: f.baseDir, out, progress: stderrProgress, cancel: cancelOnSigint() });
      if (o.json) printResult(true, '', r.pending ? { pending: r.pending } : readResults(out));
      else process.stdout.write(r.pending ? r.table + '\n' : r.table + `\nwritten: ${out}/results.json, ${out}/results.csv\n`);
    });
  program
    .command('synthesize')
    .description('fit a synthesizer on a feature table (gaussian-copula, ctgan, tvae: rows under conditions and constraints) or on user histories (markov, autoregressive, vae: synthetic users); writes the output, the fitted model and a provenance record')
    .argument('<config>', 'synthesize config (YAML or JSON), e.g. examples/synth/ml100k-copula.yaml')
    .option('--out <file>', "output (tables: .csv/.tsv/.jsonl/.parquet; histories: .jsonl/.txt); key out")
    .option('--rows <n>', 'rows (or synthetic users) to sample; key rows (tables) or histories (sequences)', int('rows', 0))
    .option('--seed <n>', 'seed; key seed', int('seed', 0))
    .option('--json', 'print the written paths and counts as JSON')
    .addHelpText('after', `
Examples:
  $ samplify synthesize examples/synth/ml100k-copula.yaml
  $ samplify synthesize examples/synth/shop-events-autoregressive.yaml --set synthesizer.params.epochs=2
  $ samplify synthesize examples/synth/ml100k-copula.yaml --set synthesizer.name=tvae --set 'synthesizer.params={epochs: 5}' --set rows=100
  $ samplify synthesize examples/synth/beauty-markov-users.yaml --set synthesizer.params.noRepeat=false`)
    .action(async (configPath: string, o: CommonFlags & { out?: string; rows?: number; seed?: number; json?: boolean }) => {
      const sequences = isSequenceSynthesizeConfig(layerConfig(readRawConfig(configPath), {}, o.set ?? []));
      // --out is a command-line path (relative to the working directory) and replaces the config's
      // outputs as a whole; paths written in the config are relative to the config file.
      // With --out the config need not name an output: --out stands in for it here and replaces the outputs below.
      const f = layeredFile(configPath, defined({ seed: o.seed, [sequences ? 'histories' : 'rows']: o.rows, out: o.out }), o);
      const parsed: AnySynthesizeConfig = sequences ? { kind: 'sequences', config: parseSequenceSynthesizeConfig(f.raw, configPath) } : { kind: 'table', config: parseSynthesizeConfig(f.raw, configPath) };
      const any = o.out !== undefined ? synthesizeConfigWithOutput(resolveSynthesizeOutputs(parsed, f.baseDir), o.out) : resolveSynthesizeOutputs(parsed, f.baseDir);
      applySettings(f.settings);
      if (any.kind === 'sequences') {
        const r = await runSequenceSynthesis({ config: any.config, baseDir: f.baseDir, progress: stderrProgress, cancel: cancelOnSigint() });
        printResult(o.json, `${r.histories} synthetic users written to ${r.out} (model ${r.model}, ids ${r.idMap}, provenance ${r.provenance})`, { kind: 'sequences', histories: r.histories, exactCopiesRemoved: r.exactCopiesRemoved, out: r.out, model: r.model, idMap: r.idMap, provenance: r.provenance, ...(r.qualityReport ? { report: r.qualityReport } : {}) });
        return;
      }
      const r = await runSynthesis({ config: any.config, baseDir: f.baseDir, progress: stderrProgress, cancel: cancelOnSigint() });
      printResult(o.json, `${r.report.produced} rows written to ${r.out} (model ${r.model}, provenance ${r.provenance})`, { kind: 'table', rows: r.report.produced, requested: r.report.requested, out: r.out, model: r.model, provenance: r.provenance, ...(r.qualityReport ? { report: r.qualityReport } : {}), seconds: r.seconds });
    });
  program
    .command('ctr')
    .description('CTR models (logistic regression, DeepFM) trained on real, real + synthetic, real + minority-class synthetic and synthetic-only rows; AUC and log-loss on a real held-out split, several seeds')
    .argument('<config>', 'CTR experiment config (YAML or JSON), e.g. examples/experiments/ml100k-ctr.yaml')
    .option('--out <dir>', "output directory (key out; default: runs/<name>)")
    .option('--json', 'print results.json (or, with --dry-run, the plan) as JSON')
    .option('--dry-run', 'check the config, the data (row accounting) and the split, print the plan of runs; train and write nothing')
    .addHelpText('after', `
Examples:
  $ samplify ctr examples/experiments/ml100k-ctr.yaml
  $ samplify ctr examples/experiments/ml100k-ctr.yaml --set seeds=[0] --set 'synthParams.ctgan={epochs: 5}'`)
    .action(async (configPath: string, o: CommonFlags & { out?: string; json?: boolean; dryRun?: boolean }) => {
      const f = layeredFile(configPath, {}, o);
      const config = parseCtrTaskConfig(f.raw, configPath);
      applySettings(f.settings);
      if (o.dryRun) return printPlan(await dryRunCtrTask({ config, baseDir: f.baseDir }), o.json);
      const r = await runCtrTask({ config, baseDir: f.baseDir }, { ...defined({ out: o.out }), progress: stderrProgress, cancel: cancelOnSigint() });
      if (o.json) printResult(true, '', readResults(r.out));
      else process.stdout.write(`${r.table}\nwritten: ${r.out}/results.json\n`);
    });
  program
    .command('cold-start')
    .description('item cold-start: hold out items, synthesize interactions for them from their attributes, and rank them (HR/NDCG@20 on the held-out items) against no synthesis and an attribute-popularity heuristic')
    .argument('<config>', 'cold-start config (YAML or JSON), e.g. examples/experiments/beauty-cold-start.yaml')
    .option('--out <dir>', "output directory (key out; default: runs/<name>)")
    .option('--json', 'print results.json (or, with --dry-run, the plan) as JSON')
    .option('--dry-run', 'check the config, the data (row accounting) and the cold-item split, print the plan of runs; train and write nothing')
    .addHelpText('after', `
Examples:
  $ samplify cold-start examples/experiments/beauty-cold-start.yaml
  $ samplify cold-start examples/experiments/beauty-cold-start.yaml --set seeds=1 --set intensities=[5]`)
    .action(async (configPath: string, o: CommonFlags & { out?: string; json?: boolean; dryRun?: boolean }) => {
      const f = layeredFile(configPath, {}, o);
      const config = parseColdStartTaskConfig(f.raw, configPath);
      applySettings(f.settings);
      if (o.dryRun) return printPlan(await dryRunColdStartTask({ config, baseDir: f.baseDir }), o.json);
      const r = await runColdStartTask({ config, baseDir: f.baseDir }, { ...defined({ out: o.out }), progress: stderrProgress, cancel: cancelOnSigint() });
      if (o.json) printResult(true, '', readResults(r.out));
      else process.stdout.write(`${r.result.table}\nwritten: ${r.out}/results.json\n`);
    });
  program
    .command('report')
    .description('one self-contained HTML page for a run folder (evaluate, experiment, synthesize, ctr, cold-start): lift table first, charts, samples, provenance; missing or corrupt files are listed, never fatal')
    .argument('<run-dir>', 'the run folder (the --out of the run; for synthesize, the folder holding <name>.provenance.json)')
    .option('--out <file>', 'where to write the page (default: <run-dir>/report.html)')
    .option('--json', 'print {path, kind, charts, bytes, notes} as JSON')
    .addHelpText('after', `
Examples:
  $ samplify report runs/beauty-recipe
  $ samplify report runs/synth --out ml100k-synthesis.html`)
    .action(async (runDir: string, o: { out?: string; json?: boolean }) => {
      const r = await writeReport(runDir, o.out);
      if (o.json) process.stdout.write(JSON.stringify({ path: r.path, kind: r.kind, charts: r.charts, bytes: Buffer.byteLength(r.html), notes: r.notes }) + '\n');
      else process.stdout.write(`${r.path}\n`);
      if (r.notes.length && !o.json) process.stderr.write(`${r.kind} run; ${r.notes.length} file(s) missing or unreadable, listed at the top of the report\n`);
    });
  program
    .command('serve')
    .description('the local workbench: list runs, open their reports, compare two, launch an experiment from a config validated in the browser, watch its progress, cancel and resume it')
    .requiredOption('--runs <dir>', 'folder whose sub-folders are runs (launched runs are created there)')
    .option('--host <address>', 'address to bind (default 127.0.0.1; any other address requires a token)', '127.0.0.1')
    .option('--port <n>', 'port (default 8377; 0 picks a free one)', int('port', 0), 8377)
    .option('--token <token>', 'token to require (default: generated and printed once when not on loopback)')
    .option('--json', 'print {url, origin, token} as one JSON line once listening')
    .addHelpText('after', `
Examples:
  $ samplify serve --runs runs
  $ samplify serve --runs runs --host 0.0.0.0 --port 8080     # prints a URL with a one-time token`)
    .action(async (o: { runs: string; host: string; port: number; token?: string; json?: boolean }) => {
      const wb = await startWorkbench({ runs: o.runs, host: o.host, port: o.port, ...(o.token !== undefined ? { token: o.token } : {}) });
      printResult(o.json, `samplify workbench on ${wb.url}${wb.token ? '\n(the token is printed only now; every request needs it)' : ''}`, { url: wb.url, origin: wb.origin, token: wb.token });
      await new Promise<void>((done) => process.once('SIGINT', () => void wb.close().then(done)));
    });
  program
    .command('worker')
    .description('pull (arm, seed) jobs from a queue and run them; results and checkpoints go to the store each job names (see docs/guide/scaling-out.md)')
    .requiredOption('--queue <url>', 'redis://[:password@]host:port/db or rediss:// (TLS)')
    .option('--queue-name <name>', `BullMQ queue name (default: ${DEFAULT_QUEUE_NAME})`)
    .option('--concurrency <n>', 'jobs this process runs at once (training is CPU-bound: run one worker process per core)', int('concurrency', 1), 1)
    .option('--lock-duration <ms>', 'how long a job stays locked without renewal before another worker takes it over (default 30000)', int('lock-duration', 1000))
    .option('--mirror-root <dir>', 'object-storage stores: where this worker keeps its mirror folders (default: SAMPLIFY_MIRROR_ROOT, else the system temp folder)')
    .option('--sync-seconds <s>', "object-storage stores: seconds between pushes of a running job's checkpoints to the store (default: SAMPLIFY_STORE_SYNC_SECONDS, else 30)", int('sync-seconds', 1))
    .option('--json', 'one JSON line per event on stdout: {job, event: progress|completed|failed, text}, {event: worker, text} and {step, done, total}')
    .addHelpText('after', `
Examples:
  $ samplify worker --queue redis://127.0.0.1:6379/0
  $ samplify worker --queue rediss://:secret@queue.internal:6380/0 --concurrency 2`)
    .action(async (o: CommonFlags & { queue: string; queueName?: string; concurrency: number; lockDuration?: number; mirrorRoot?: string; syncSeconds?: number; json?: boolean }) => {
      checkQueueUrl(o.queue);
      applySettings(splitSettings(layerConfig({}, settingsLayer(o), o.set ?? [])).settings);
      const w = startWorker({ url: o.queue, concurrency: o.concurrency, progress: o.json ? jsonLinesProgress(process.stdout, workerEvent) : stderrProgress, ...(o.queueName ? { queueName: o.queueName } : {}), ...(o.lockDuration !== undefined ? { lockDuration: o.lockDuration } : {}), ...(o.mirrorRoot !== undefined ? { mirrorRoot: o.mirrorRoot } : {}), ...(o.syncSeconds !== undefined ? { syncSeconds: o.syncSeconds } : {}) });
      await w.ready;
      // First signal: finish the running jobs, then exit; second: stop now (the jobs resume from their checkpoints elsewhere).
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (): void => {
          if (stopping) process.exit(130);
          stopping = true;
          process.stderr.write('worker: finishing the running job(s); signal again to stop at once\n');
          void w.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
  program
    .command('status')
    .description('jobs on a queue: counts per state, running jobs with their progress, failed jobs with their reasons')
    .requiredOption('--queue <url>', 'redis://[:password@]host:port/db or rediss:// (TLS)')
    .option('--queue-name <name>', `BullMQ queue name (default: ${DEFAULT_QUEUE_NAME})`)
    .option('--json', 'print the status as JSON')
    .action(async (o: { queue: string; queueName?: string; json?: boolean }) => {
      checkQueueUrl(o.queue);
      const s = await queueStatus(o.queue, o.queueName ?? DEFAULT_QUEUE_NAME);
      process.stdout.write(o.json ? JSON.stringify(s) + '\n' : formatStatus(s) + '\n');
    });
  // After each command's own options, so they come first in --help.
  for (const cmd of program.commands) withCommonOptions(cmd);
  return program;
}

