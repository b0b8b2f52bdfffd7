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

/** A config or CLI option that is missing, of the wrong type or out of range. Exit 2. */
export class ConfigError extends SamplifyError {
  override readonly exitCode = 2;
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
