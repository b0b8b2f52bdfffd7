/**
 * A real redis-server for a test file, on a free loopback port, and `samplify worker` processes
 * spawned from the sources. Everything started here is stopped by stopAll() (call it in after()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const children = new Set<ChildProcess>();

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function waitFor(child: ChildProcess, pattern: RegExp, stream: 'stdout' | 'stderr', ms: number): Promise<void> {
  return new Promise((ok, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern} in: ${seen.slice(-2000)}`)), ms);
    child[stream]!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code} before ${pattern}: ${seen.slice(-2000)}`));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** redis-server on 127.0.0.1 only; `dir` given: append-only persistence there (a restart keeps the jobs). */
export async function startRedis(dir?: string): Promise<RedisServer> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...(dir ? ['--appendonly', 'yes', '--dir', dir] : ['--appendonly', 'no'])];
      proc = track(spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      await waitFor(proc, /Ready to accept connections/, 'stdout', 10_000);
    },
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((ok) => {
        p.once('exit', () => ok());
        p.kill('SIGTERM');
      });
    },
  };
  await server.start();
  return server;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly log: () => string;
  waitForLog(pattern: RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `samplify worker --queue url …` from the sources; resolves once it is connected. */
export async function spawnWorker(url: string, extra: readonly string[] = []): Promise<WorkerProcess> {
  const child = track(spawn(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), 'worker', '--queue', url, '--threads', '1', ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  const w: WorkerProcess = {
    child,
    log: () => log,
    waitForLog: (pattern, ms = 120_000) => (pattern.test(log) ? Promise.resolve() : waitFor(child, pattern, 'stderr', ms)),
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGKILL');
      }),
  };
  await w.waitForLog(/worker on queue/, 120_000);
  return w;
}

/** Stops every process this file started (workers first, then redis). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((ok) => {
          if (c.exitCode !== null || c.signalCode !== null) return ok();
          c.once('exit', () => ok());
          c.kill('SIGKILL');
        }),
    ),
  );
}
