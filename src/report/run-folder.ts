/**
 * A run folder read defensively: every file the report wants is read through here, checked
 * against a zod schema, and each file that is missing, unreadable or of an unexpected shape
 * becomes a note (file, what is wrong, what the report cannot show because of it) instead of an
 * exception. Paths never leave the folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { describeIssues, formatKeyPath } from '../core/index.ts';

export interface ReportNote {
  /** Path relative to the run folder. */
  readonly file: string;
  readonly problem: 'missing' | 'unreadable' | 'unexpected shape';
  readonly detail: string;
  /** What the report leaves out because of it. */
  readonly consequence: string;
}

export class RunFolder {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** The folder as the user named it (relative paths stay relative, so a committed report does not print the machine's paths). */
  readonly shown: string;
  /** The folder's own name. */
  readonly name: string;
  readonly notes: ReportNote[] = [];

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.shown = dir;
    this.name = this.dir.split(sep).pop() ?? dir;
  }

  /** The absolute path of `rel`, or null when it would leave the folder. */
  path(rel: string): string | null {
    const abs = resolve(this.dir, rel);
    const back = relative(this.dir, abs);
    if (back === '') return abs;
    if (back.startsWith('..') || isAbsolute(back)) return null;
    return abs;
  }

  /** A path recorded in a run file (possibly absolute, possibly from another machine) as a path inside this folder, when such a file is here. */
  localPath(recorded: string): string | null {
    const abs = isAbsolute(recorded) ? recorded : resolve(this.dir, recorded);
    const back = relative(this.dir, abs);
    if (!back.startsWith('..') && !isAbsolute(back) && existsSync(abs)) return back;
    const base = recorded.split(/[\\/]/).pop() ?? '';
    return base && existsSync(join(this.dir, base)) ? base : null;
  }

  has(rel: string): boolean {
    const p = this.path(rel);
    return p !== null && existsSync(p);
  }

  /** Names in a sub-folder (sorted); [] when it is absent. */
  list(rel = '.'): string[] {
    const p = this.path(rel);
    if (p === null) return [];
    try {
      return readdirSync(p).sort();
    } catch {
      return [];
    }
  }

  isDir(rel: string): boolean {
    const p = this.path(rel);
    try {
      return p !== null && statSync(p).isDirectory();
    } catch {
      return false;
    }
  }

  note(n: ReportNote): void {
    if (!this.notes.some((m) => m.file === n.file && m.problem === n.problem && m.consequence === n.consequence)) this.notes.push(n);
  }

  /** Parsed JSON, or undefined when the file is absent or not JSON (no note: for detection). */
  peekJson(rel: string): unknown {
    const p = this.path(rel);
    if (p === null || !existsSync(p)) return undefined;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /**
   * The file's JSON checked against `schema`; null (and a note saying `consequence`) when it is
   * missing, unreadable or does not match. `optional` files that are absent give no note.
   */
  readJson<S extends z.ZodType>(rel: string, schema: S, consequence: string, o: { optional?: boolean } = {}): z.infer<S> | null {
    const p = this.path(rel);
    if (p === null) {
      this.note({ file: rel, problem: 'unreadable', detail: 'the path leaves the run folder', consequence });
      return null;
    }
    if (!existsSync(p)) {
      if (!o.optional) this.note({ file: rel, problem: 'missing', detail: 'no such file', consequence });
      return null;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      this.note({ file: rel, problem: 'unreadable', detail: e instanceof SyntaxError ? `not valid JSON (${e.message})` : `cannot be read (${(e as Error).message})`, consequence });
      return null;
    }
    return this.check(rel, schema, raw, consequence);
  }

  /** `raw` (read from `rel`) checked against `schema`; null and a note naming the first bad field when it does not match. */
  check<S extends z.ZodType>(rel: string, schema: S, raw: unknown, consequence: string, at = ''): z.infer<S> | null {
    const r = schema.safeParse(raw);
    if (r.success) return r.data as z.infer<S>;
    const issues = describeIssues(schema, r.error.issues, raw);
    const first = issues[0];
    const inner = first ? formatKeyPath(first.path as (string | number)[]) : '';
    const where = [at, inner].filter(Boolean).join(inner.startsWith('[') ? '' : '.') || '(top level)';
    this.note({ file: rel, problem: 'unexpected shape', detail: `${where}: ${first?.message ?? 'does not match'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, consequence });
    return null;
  }

  /** Text of a file (at most `maxBytes` of it), or null with a note. */
  readText(rel: string, consequence: string, maxBytes = 4 << 20): string | null {
    const p = this.path(rel);
    if (p === null || !existsSync(p)) {
      this.note({ file: rel, problem: 'missing', detail: 'no such file', consequence });
      return null;
    }
    try {
      const buf = readFileSync(p);
      return buf.subarray(0, maxBytes).toString('utf8');
    } catch (e) {
      this.note({ file: rel, problem: 'unreadable', detail: (e as Error).message, consequence });
      return null;
    }
  }

  /** Bytes of a file of at most `maxBytes`, or null with a note (too large, missing, unreadable). */
  readBytes(rel: string, consequence: string, maxBytes = 4 << 20): Uint8Array | null {
    const p = this.path(rel);
    if (p === null || !existsSync(p)) {
      this.note({ file: rel, problem: 'missing', detail: 'no such file', consequence });
      return null;
    }
    try {
      const size = statSync(p).size;
      if (size > maxBytes) {
        this.note({ file: rel, problem: 'unreadable', detail: `${size} bytes, more than the ${maxBytes} a page embeds`, consequence });
        return null;
      }
      return readFileSync(p);
    } catch (e) {
      this.note({ file: rel, problem: 'unreadable', detail: (e as Error).message, consequence });
      return null;
    }
  }

  /** Every file (relative, '/'-separated) to a small depth, for the report's file list and for detection. */
  files(maxDepth = 3, limit = 400): string[] {
    const out: string[] = [];
    const walk = (rel: string, depth: number): void => {
      for (const name of this.list(rel)) {
        if (out.length >= limit) return;
        const r = rel === '.' ? name : `${rel}/${name}`;
        if (this.isDir(r)) {
          if (depth < maxDepth) walk(r, depth + 1);
        } else out.push(r.split(sep).join('/'));
      }
    };
    walk('.', 1);
    return out;
  }
}
