/**
 * Named errors that the CLI prints as one clear line (no stack trace) and maps to exit codes.
 * Every error that is about user input says where: file, line (1-based), field.
 */
export interface ErrorLocation {
  file?: string;
  line?: number;
  field?: string;
}

export class SamplifyError extends Error {
  /** Process exit code the CLI uses for this error family. */
  readonly exitCode: number = 1;
  readonly location: ErrorLocation;
  constructor(message: string, location: ErrorLocation = {}) {
    super(message);
    this.name = new.target.name;
    this.location = location;
  }
  /** One line for a human: `file:line field: message`. */
  describe(): string {
    const { file, line, field } = this.location;
    const where = [file !== undefined ? (line !== undefined ? `${file}:${line}` : file) : undefined, field !== undefined ? `field '${field}'` : undefined]
      .filter(Boolean)
      .join(' ');
    return where ? `${this.name}: ${where}: ${this.message}` : `${this.name}: ${this.message}`;
  }
}

/** Input data that cannot be read as declared (bad file, bad schema, nothing usable). Exit 3. */
export class DataValidationError extends SamplifyError {
  override readonly exitCode = 3;
}

/** One problem of a config: its full key path and what is wrong there. */
export interface ConfigProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * A config or CLI option that is missing, of the wrong type or out of range. Exit 2. A config
 * checked against its schema carries every problem found (`problems`, the first is the message's);
 * `describeAll()` adds a line for each further one, so one run of the CLI shows them all.
 */
export class ConfigError extends SamplifyError {
  override readonly exitCode = 2;
  readonly problems: readonly ConfigProblem[];
  constructor(message: string, location: ErrorLocation = {}, problems: readonly ConfigProblem[] = []) {
    super(message, location);
    this.problems = problems.length > 0 ? problems : [{ field: location.field ?? '', message }];
  }
  /** `describe()`'s line, then each further problem on a line of its own (what the CLI prints). */
  describeAll(): string {
    return [this.describe(), ...this.problems.slice(1).map((p) => `  ${p.field ? `field '${p.field}': ` : ''}${p.message}`)].join('\n');
  }
}

/** A model used before it was fitted, or a saved model that does not match. Exit 4. */
export class ModelStateError extends SamplifyError {
  override readonly exitCode = 4;
}

/** The run was interrupted (Ctrl-C); outputs written so far are complete files. Exit 130. */
export class InterruptedError extends SamplifyError {
  override readonly exitCode = 130;
}

export function isSamplifyError(e: unknown): e is SamplifyError {
  return e instanceof SamplifyError;
}
