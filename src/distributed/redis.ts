/**
 * Redis connections for the job queue. A URL may carry a password (redis://:pw@host:6379/0) or ask
 * for TLS (rediss://); the password never reaches a message: every line that names the server
 * goes through redactRedisUrl. BullMQ needs maxRetriesPerRequest: null on its connections so a
 * command waits through a Redis restart instead of failing: ioredis reconnects and carries on.
 */
import { Redis } from 'ioredis';
import { ConfigError } from '../core/index.ts';

/** The URL with its password (and user) replaced by '***', for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = u.username === 'default' ? u.username : '***';
    return u.toString();
  } catch {
    return '<unparsable redis URL>';
  }
}

/** Removes every occurrence of the URL's password from a message (errors from the client may quote it). */
export function redactSecrets(text: string, url: string): string {
  let pw = '';
  try {
    pw = decodeURIComponent(new URL(url).password);
  } catch {
    /* no password to hide */
  }
  return pw ? text.split(pw).join('***') : text;
}

/** Checks a queue URL: redis:// or rediss://, a host; a ConfigError naming the flag otherwise (the password redacted). */
export function checkQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`not a Redis URL: ${redactRedisUrl(url)} (expected redis://[:password@]host[:port][/db] or rediss://…)`, { field: 'queue' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`the queue URL must start with redis:// or rediss:// (TLS), got ${u.protocol}//`, { field: 'queue' });
  if (!u.hostname) throw new ConfigError('the queue URL names no host', { field: 'queue' });
  return url;
}

export interface ConnectionOptions {
  /** Called with a redacted description of connection errors (ioredis keeps reconnecting meanwhile). */
  readonly onError?: (message: string) => void;
}

/** A connection as BullMQ wants it (maxRetriesPerRequest: null; reconnect with capped backoff). */
export function redisConnection(url: string, o: ConnectionOptions = {}): Redis {
  checkQueueUrl(url);
  // rediss:// turns TLS on in ioredis; certificates are checked as Node checks them.
  const conn = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: (times: number) => Math.min(100 * times, 2000) });
  let last = 0;
  conn.on('error', (e: Error) => {
    const now = Date.now();
    if (now - last < 5000) return; // one line per 5 s while the server is away
    last = now;
    o.onError?.(`redis ${redactRedisUrl(url)}: ${redactSecrets(e.message, url)} (reconnecting)`);
  });
  return conn;
}
