/**
 * The samplify executable: builds the program (src/cli/program.ts), runs it and maps errors to
 * exit codes: 0 ok · 1 unexpected internal error · 2 bad config/usage · 3 bad input data ·
 * 4 model state (e.g. loading a model of another kind) · 130 interrupted (Ctrl-C; rerun to resume).
 */
import { CommanderError } from 'commander';
import { ConfigError, isSamplifyError } from '../core/index.ts';
import { buildProgram } from './program.ts';

export { buildProgram };

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isSamplifyError(e)) {
      process.stderr.write((e instanceof ConfigError ? e.describeAll() : e.describe()) + '\n'); // every problem of a config, one a line
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
