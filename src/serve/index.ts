/**
 * `samplify serve --runs <dir>`: the local workbench (src/serve/app.ts) on 127.0.0.1 by default.
 * Bound to any other address it requires a token — generated unless given, printed once — on every
 * request, launches included.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { ConfigError } from '../core/index.ts';
import { createWorkbenchApp } from './app.ts';

export { createWorkbenchApp, parseProgressLine, runPath } from './app.ts';
export type { WorkbenchOptions } from './app.ts';
export { cancelJob, launchJob, launchKindOf, readJob, startJob, validateLaunch } from './jobs.ts';
export type { Job, JobStatus, LaunchKind, LaunchProblem } from './jobs.ts';

export const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

export interface StartOptions {
  readonly runs: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Required off loopback (generated when absent); optional on loopback. */
  readonly token?: string;
}

export interface Workbench {
  /** The start URL (with `?token=` when a token is required: it sets a cookie and is dropped from the address). */
  readonly url: string;
  readonly origin: string;
  readonly token: string | null;
  close(): Promise<void>;
}

export async function startWorkbench(o: StartOptions): Promise<Workbench> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? (LOOPBACK.includes(host) ? null : randomBytes(24).toString('base64url'));
  if (token !== null && token.length < 16) throw new ConfigError('the token must be at least 16 characters', { field: 'token' });
  const runs = resolve(o.runs);
  mkdirSync(runs, { recursive: true });
  const app = createWorkbenchApp({ runs, token: token ?? undefined });
  const server: ServerType = await new Promise((ok, fail) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: o.port ?? 8377 }, () => ok(s));
    s.once('error', fail);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const origin = `http://${shownHost}:${port}`;
  return {
    url: token ? `${origin}/?token=${token}` : `${origin}/`,
    origin,
    token,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
