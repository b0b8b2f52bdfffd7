/**
 * Command-line flags of the bench scripts: `--name value` pairs read straight from process.argv.
 * Deliberately lenient (unlike node:util parseArgs in strict mode): a script may read its other
 * flags (`--variant`, `--child`) by hand, and a value may begin with `-` (`--first-seed -1`).
 */

/** The token after the first `--name` in `argv`, or `fallback` when the flag is absent or has no value after it. */
export function arg(name: string, fallback: string, argv: readonly string[] = process.argv): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

/** Whether the switch `--name` is on the command line. */
export function flag(name: string, argv: readonly string[] = process.argv): boolean {
  return argv.includes(`--${name}`);
}

/**
 * `SAMPLIFY_THREADS=n ` as this process was started with (empty when unset), for the command a
 * result file records: one thread and two round differently, so the count is part of the command.
 */
export function threadsPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.SAMPLIFY_THREADS ? `SAMPLIFY_THREADS=${env.SAMPLIFY_THREADS} ` : '';
}
