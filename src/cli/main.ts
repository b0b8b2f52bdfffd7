import { Command, InvalidArgumentError, CommanderError } from 'commander';
import { CancelToken, ConfigError, isSamplifyError, stderrProgress } from '../core/index.ts';
import { runEvaluation, runBenchmark, fmtMetrics, validateData, augmentFile, readExperimentConfig, runLiftExperiment, type BenchmarkOptions } from '../experiment/index.ts';
import { readAnySynthesizeConfig, runSequenceSynthesis, runSynthesis, runCtrTask, runColdStartTask } from '../experiment/index.ts';
import { DATA_FORMATS, type DataFormat, type LoadOptions } from '../data/index.ts';
import { MODEL_NAMES, type ModelName } from '../models/index.ts';

/**
 * Exit codes: 0 ok · 1 unexpected internal error · 2 bad config/usage · 3 bad input data ·
 * 4 model state (e.g. loading a model of another kind) · 130 interrupted (Ctrl-C; rerun to resume).
 */
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

interface ColumnFlags {
  userCol: string;
  itemCol: string;
  timeCol: string;
  eventCol?: string;
  eventTypes?: string;
  rejected?: string;
}

/** Column flags shared by every command that reads CSV/TSV/JSONL/Parquet. */
function withColumnOptions(cmd: Command): Command {
  return cmd
    .option('--user-col <name>', 'user id column (csv/tsv/jsonl/parquet)', 'user_id')
    .option('--item-col <name>', 'item id column', 'item_id')
    .option('--time-col <name>', "timestamp column, or 'none' to keep file order", 'timestamp')
    .option('--event-col <name>', 'event type column (e.g. view/cart/purchase)')
    .option('--event-types <list>', 'comma-separated allowed event types; other values are rejected rows')
    .option('--rejected <file>', 'write rejected rows here (JSONL, with file, line, field, reason)');
}

function loadOptionsFrom(o: ColumnFlags, format: DataFormat): LoadOptions {
  const tabular = format === 'csv' || format === 'tsv' || format === 'jsonl' || format === 'parquet';
  return {
    ...(tabular
      ? { columns: { user: o.userCol, item: o.itemCol, ...(o.timeCol !== 'none' ? { timestamp: o.timeCol } : {}), ...(o.eventCol ? { eventType: o.eventCol } : {}) } }
      : {}),
    ...(o.eventTypes ? { eventTypes: o.eventTypes.split(',').map((s) => s.trim()) } : {}),
    ...(o.rejected ? { rejectedPath: o.rejected } : {}),
  };
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

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('samplify')
    .description('Expand e-commerce recommendation training data and measure what it does to the model.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withColumnOptions(program
    .command('evaluate'))
    .description('train a recommender on a leave-one-out split and evaluate it with full ranking (HR/NDCG/MRR), over several seeds')
    .requiredOption('--data <file>', 'interaction or sequence file')
    .option('--format <format>', `input format: ${DATA_FORMATS.join(', ')}`, choice('format', DATA_FORMATS), 'seqtxt' as DataFormat)
    .requiredOption('--model <model>', `model: ${MODEL_NAMES.join(', ')}`, choice('model', MODEL_NAMES))
    .option('--loss <loss>', 'loss of neural models: bce (one sampled negative, the SASRec paper) or ce (full softmax, RecBole)', choice('loss', ['bce', 'ce'] as const))
    .option('--seeds <n>', 'number of seeds (0, 1, … n-1)', int('seeds', 1), 1)
    .option('--seed <n>', 'first seed', int('seed', 0), 0)
    .option('--epochs <n>', 'maximum training epochs', int('epochs', 1))
    .option('--patience <n>', 'early-stopping patience on validation NDCG@20', int('patience', 1))
    .option('--protocol <p>', 'full (rank all items) or sampled (target + 99 negatives)', choice('protocol', ['full', 'sampled'] as const), 'full' as const)
    .option('--exclude <mode>', 'history items before ranking: neg-inf, zero (CoSeRec quirk), none', choice('exclude', ['neg-inf', 'zero', 'none'] as const), 'neg-inf' as const)
    .option('--hidden <n>', 'hidden size of neural models', int('hidden', 1))
    .option('--max-len <n>', 'longest history a neural model reads', int('max-len', 1))
    .requiredOption('--out <dir>', 'output directory (results.json, ranks/, checkpoints/)')
    .option('--json', 'print the results as one JSON object on stdout')
    .addHelpText('after', `
Examples:
  $ samplify evaluate --data ../shared/data/beauty/Beauty.txt --model pop --out runs/pop --json
  $ samplify evaluate --data ../shared/data/beauty/Beauty.txt --model sasrec --loss ce --seeds 3 --out runs/sasrec-ce
  $ samplify evaluate --data ../shared/data/ml-100k/ml-100k.inter --format recbole --model itemknn --out runs/ml`)
    .action(async (o: ColumnFlags & { data: string; format: DataFormat; model: ModelName; loss?: 'bce' | 'ce'; seeds: number; seed: number; epochs?: number; patience?: number; protocol: 'full' | 'sampled'; exclude: 'neg-inf' | 'zero' | 'none'; hidden?: number; maxLen?: number; out: string; json?: boolean }) => {
      const networkConfig: Record<string, unknown> = {};
      if (o.loss) networkConfig.loss = o.loss;
      if (o.hidden) networkConfig.hidden = o.hidden;
      if (o.maxLen) networkConfig.maxLen = o.maxLen;
      if (o.loss && (o.model === 'pop' || o.model === 'itemknn')) throw new ConfigError(`--loss applies to gru4rec and sasrec, not ${o.model}`, { field: 'loss' });
      const result = await runEvaluation({
        data: o.data,
        format: o.format,
        load: loadOptionsFrom(o, o.format),
        model: { model: o.model, config: networkConfig },
        seeds: Array.from({ length: o.seeds }, (_, i) => o.seed + i),
        ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
        ...(o.patience !== undefined ? { patience: o.patience } : {}),
        protocol: o.protocol,
        exclude: o.exclude,
        out: o.out,
        progress: stderrProgress,
        cancel: cancelOnSigint(),
      });
      if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
      else process.stdout.write(`test  ${fmtMetrics(result.test)}\nvalid ${fmtMetrics(result.valid)}\nwritten: ${o.out}/results.json\n`);
    });

  withColumnOptions(program
    .command('validate'))
    .description('read a data file with row-level accounting: rows in = kept + rejected, rejected rows written with file, line, field and reason')
    .requiredOption('--data <file>', 'input file')
    .option('--format <format>', `input format: ${DATA_FORMATS.join(', ')}`, choice('format', DATA_FORMATS), 'seqtxt' as DataFormat)
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
Examples:
  $ samplify validate --data ../shared/data/taobao/Taobao.txt
  $ samplify validate --data events.csv --format csv --event-col event_type --event-types view,cart,purchase --rejected rejected.jsonl`)
    .action(async (o: ColumnFlags & { data: string; format: DataFormat; json?: boolean }) => {
      const summary = await validateData(o.data, o.format, loadOptionsFrom(o, o.format));
      process.stdout.write(o.json ? JSON.stringify(summary) + '\n' : summary.text + '\n');
    });

  program
    .command('benchmark')
    .description('the main job: Popularity, ItemKNN, GRU4Rec and SASRec on Amazon Beauty (leave-one-out, full ranking) next to the published numbers; --quick runs Popularity, ItemKNN and 15 epochs of SASRec')
    .option('--quick', 'few epochs, one seed: a few minutes on 2 cores')
    .option('--data <file>', 'Beauty.txt to use (default: ../shared/data/beauty/Beauty.txt, else the shipped sample)')
    .option('--models <list>', 'comma-separated subset, e.g. pop,sasrec-ce')
    .option('--seeds <n>', 'seeds per model', int('seeds', 1))
    .option('--epochs <n>', 'maximum epochs for neural models', int('epochs', 1))
    .option('--out <dir>', 'output directory', 'runs/benchmark')
    .addHelpText('after', `
Examples:
  $ samplify benchmark --quick
  $ samplify benchmark --models sasrec-ce,sasrec-bce --seeds 3 --out runs/full`)
    .action(async (o: BenchmarkOptions) => {
      await runBenchmark({ ...o, progress: stderrProgress, cancel: cancelOnSigint() });
    });
  withColumnOptions(program
    .command('augment'))
    .description("expand each user's training part (leave-one-out: validation/test items are never read) with an augmentation pipeline; one sample per line with its source user and the operator chain")
    .requiredOption('--data <file>', 'input file')
    .option('--format <format>', `input format: ${DATA_FORMATS.join(', ')}`, choice('format', DATA_FORMATS), 'seqtxt' as DataFormat)
    .requiredOption('--pipeline <file>', 'pipeline (YAML or JSON), e.g. examples/pipelines/crop-reorder.yaml')
    .option('--views <k>', 'augmented views per user', int('views', 1), 1)
    .option('--seed <n>', 'seed (same seed and input: byte-identical output)', int('seed', 0), 0)
    .requiredOption('--out <file>', 'output .jsonl or .parquet (written to a temp file, then renamed)')
    .addHelpText('after', `
Examples:
  $ samplify augment --data ../shared/data/beauty/Beauty.txt --pipeline examples/pipelines/crop-reorder.yaml --views 2 --seed 1 --out runs/beauty-aug.jsonl
  $ samplify augment --data ../shared/data/beauty/Beauty.txt --pipeline examples/pipelines/coserec-default.yaml --views 5 --out runs/aug.parquet`)
    .action(async (o: ColumnFlags & { data: string; format: DataFormat; pipeline: string; views: number; seed: number; out: string }) => {
      const r = await augmentFile({ data: o.data, format: o.format, load: loadOptionsFrom(o, o.format), pipeline: o.pipeline, views: o.views, seed: o.seed, out: o.out, progress: stderrProgress });
      process.stdout.write(`${r.samples} samples from ${r.users} users written to ${r.path}\n`);
    });

  program
    .command('experiment')
    .description('the lift experiment: baseline vs each augmentation arm, several seeds, paired significance and segments')
    .argument('<config>', 'experiment config (YAML or JSON)')
    .option('--out <dir>', 'output directory (default: the config\'s out, else runs/<name>)')
    .addHelpText('after', `
Example:
  $ samplify experiment examples/experiments/beauty-lift.yaml`)
    .action(async (configPath: string, o: { out?: string }) => {
      const { config, baseDir } = readExperimentConfig(configPath);
      const out = o.out ?? config.out ?? `runs/${config.name}`;
      const r = await runLiftExperiment({ config, baseDir, out, progress: stderrProgress, cancel: cancelOnSigint() });
      process.stdout.write(r.pending ? r.table + '\n' : r.table + `\nwritten: ${out}/results.json, ${out}/results.csv\n`);
    });
  program
    .command('synthesize')
    .description('fit a synthesizer on a feature table (gaussian-copula, ctgan, tvae: rows under conditions and constraints) or on user histories (markov, autoregressive, vae: synthetic users); writes the output, the fitted model and a provenance record')
    .argument('<config>', 'synthesize config (YAML or JSON), e.g. examples/synth/ml100k-copula.yaml')
    .option('--out <file>', "output (tables: .csv/.tsv/.jsonl/.parquet; histories: .jsonl/.txt), overriding the config's out")
    .option('--rows <n>', "rows (or synthetic users) to sample, overriding the config's rows / histories", int('rows', 0))
    .option('--seed <n>', "seed, overriding the config's seed", int('seed', 0))
    .addHelpText('after', `
Example:
  $ samplify synthesize examples/synth/ml100k-copula.yaml
  $ samplify synthesize examples/synth/beauty-markov-users.yaml`)
    .action(async (configPath: string, o: { out?: string; rows?: number; seed?: number }) => {
      const { config: any, baseDir } = readAnySynthesizeConfig(configPath);
      const common = { ...(o.out !== undefined ? { out: o.out } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) };
      if (any.kind === 'sequences') {
        const config = { ...any.config, ...common, ...(o.rows !== undefined ? { histories: o.rows } : {}) };
        const r = await runSequenceSynthesis({ config, baseDir, progress: stderrProgress, cancel: cancelOnSigint() });
        process.stdout.write(`${r.histories} synthetic users written to ${r.out} (model ${r.model}, ids ${r.idMap}, provenance ${r.provenance})\n`);
        return;
      }
      const config = { ...any.config, ...common, ...(o.rows !== undefined ? { rows: o.rows } : {}) };
      const r = await runSynthesis({ config, baseDir, progress: stderrProgress, cancel: cancelOnSigint() });
      process.stdout.write(`${r.report.produced} rows written to ${r.out} (model ${r.model}, provenance ${r.provenance})\n`);
    });
  program
    .command('ctr')
    .description('CTR models (logistic regression, DeepFM) trained on real, real + synthetic, real + minority-class synthetic and synthetic-only rows; AUC and log-loss on a real held-out split, several seeds')
    .argument('<config>', 'CTR experiment config (YAML or JSON), e.g. examples/experiments/ml100k-ctr.yaml')
    .option('--out <dir>', "output directory (default: the config's out, else runs/<name>)")
    .addHelpText('after', `
Example:
  $ samplify ctr examples/experiments/ml100k-ctr.yaml`)
    .action(async (configPath: string, o: { out?: string }) => {
      const r = await runCtrTask(configPath, { ...(o.out ? { out: o.out } : {}), progress: stderrProgress, cancel: cancelOnSigint() });
      process.stdout.write(`${r.table}\nwritten: ${r.out}/results.json\n`);
    });
  program
    .command('cold-start')
    .description('item cold-start: hold out items, synthesize interactions for them from their attributes, and rank them (HR/NDCG@20 on the held-out items) against no synthesis and an attribute-popularity heuristic')
    .argument('<config>', 'cold-start config (YAML or JSON), e.g. examples/experiments/beauty-cold-start.yaml')
    .option('--out <dir>', "output directory (default: the config's out, else runs/<name>)")
    .addHelpText('after', `
Example:
  $ samplify cold-start examples/experiments/beauty-cold-start.yaml`)
    .action(async (configPath: string, o: { out?: string }) => {
      const r = await runColdStartTask(configPath, { ...(o.out ? { out: o.out } : {}), progress: stderrProgress, cancel: cancelOnSigint() });
      process.stdout.write(`${r.result.table}\nwritten: ${r.out}/results.json\n`);
    });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isSamplifyError(e)) {
      process.stderr.write(e.describe() + '\n');
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`samplify: internal error: ${msg}\n(this is a bug; rerun with SAMPLIFY_DEBUG=1 for the stack trace)\n`);
    if (process.env.SAMPLIFY_DEBUG) console.error(e);
    return 1;
  }
}

const code = await main(process.argv);
process.exitCode = code;
