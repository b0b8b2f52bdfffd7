/** Option checking for the report functions: a bad option is a ConfigError naming the key. */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.ts';

export function parseOptions<T>(schema: z.ZodType<T>, value: unknown, label: string): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    throw new ConfigError(`${label}: unknown option ${keys.map((k) => `'${k}'`).join(', ')}`, { field: keys[0]! });
  }
  const key = issue.path.map(String).join('.');
  throw new ConfigError(`${label}: option '${key || '(options)'}' ${issue.message}`, { field: key });
}

export const seedSchema = z.number().int().min(0).max(4294967295);

export const detectionSchema = z
  .object({
    folds: z.number().int().min(2).max(20).default(5),
    maxRowsPerClass: z.number().int().min(10).default(5000),
    maxLevels: z.number().int().min(1).max(1000).default(20),
    squares: z.boolean().default(true),
    l2: z.number().min(0).default(1e-3),
    trees: z
      .object({
        numTrees: z.number().int().min(1).max(10000).default(100),
        learningRate: z.number().gt(0).max(1).default(0.1),
        maxDepth: z.number().int().min(0).max(64).default(6),
        maxLeaves: z.number().int().min(2).max(4096).default(31),
        minSamplesLeaf: z.number().int().min(1).default(20),
        lambda: z.number().min(0).default(1),
        subsample: z.number().gt(0).max(1).default(0.8),
        colsample: z.number().gt(0).max(1).default(0.8),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DetectionSettings = z.infer<typeof detectionSchema>;
