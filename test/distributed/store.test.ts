/**
 * The Store seam: one contract for a folder and for S3-compatible object storage (the AWS SDK
 * client against our loopback S3 server, no network): whole-object get/put, conditional create,
 * head, paged list, delete, keys that cannot leave the store; a model-based property test of
 * put/delete sequences; run-store records through a store; a mirror folder pulling and pushing
 * only what changed; credentials never in a message; only the five S3 operations used.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, writeFileAtomic } from '../../src/core/index.ts';
import { readRunResult, writeRunResult } from '../../src/experiment/index.ts';
import { readStoredRun, writeStoredRun } from '../../src/experiment/run-store.ts';
import { DirectoryStore, openStore, parseS3Location, s3SettingsFrom, type Store } from '../../src/experiment/store.ts';
import { StoreMirror } from '../../src/experiment/store-mirror.ts';
import { tempFolder } from '../temp-folders.ts';
import { startLoopbackS3, type LoopbackS3 } from './s3-server.ts';

const SECRET = 'wJalrXUtnFEMI-loopback-secret';
const env = (endpoint: string): NodeJS.ProcessEnv => ({ SAMPLIFY_S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'LOOPBACKKEY', AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'eu-west-1' });

let s3: LoopbackS3;
const opened: Store[] = [];
before(async () => {
  s3 = await startLoopbackS3({ accessKeyId: 'LOOPBACKKEY', buckets: ['runs'], pageSize: 2 });
});
after(async () => {
  for (const s of opened) s.close();
  await s3.close();
});

let n = 0;
/** A fresh, empty store of each kind. */
const kinds: Record<string, () => Promise<Store>> = {
  directory: async () => new DirectoryStore(tempFolder('samplify-store-')),
  s3: async () => {
    const s = await openStore(`s3://runs/exp-${n++}/shared`, env(s3.endpoint));
    opened.push(s);
    return s;
  },
};
const bytes = (t: string): Uint8Array => new TextEncoder().encode(t);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

for (const [kind, fresh] of Object.entries(kinds)) {
  test(`${kind} store: get/put/create/head/list/delete and keys`, async () => {
    const store = await fresh();
    assert.equal(await store.get('arms/a/seed0.json'), null);
    assert.equal(await store.head('arms/a/seed0.json'), null);
    await store.put('arms/a/seed0.json', bytes('{"x":1}'));
    await store.put('arms/a b/ü seed1.json', bytes('unicode'));
    await store.put('results.json', bytes('r'));
    assert.equal(text(await store.get('arms/a/seed0.json')), '{"x":1}');
    assert.equal(text(await store.get('arms/a b/ü seed1.json')), 'unicode');
    assert.deepEqual(await store.head('arms/a/seed0.json'), { size: 7 });
    await store.put('arms/a/seed0.json', bytes('{"x":22}'));
    assert.equal(text(await store.get('arms/a/seed0.json')), '{"x":22}', 'a put replaces');
    assert.equal(await store.create('claims/unit0', bytes('worker-1')), true);
    assert.equal(await store.create('claims/unit0', bytes('worker-2')), false, 'the second create loses');
    assert.equal(text(await store.get('claims/unit0')), 'worker-1');
    // Listing is sorted, complete across pages (the S3 server pages by 2) and limited to the prefix.
    assert.deepEqual((await store.list()).map((e) => e.key), ['arms/a b/ü seed1.json', 'arms/a/seed0.json', 'claims/unit0', 'results.json']);
    assert.deepEqual((await store.list('arms/')).map((e) => [e.key, e.size]), [['arms/a b/ü seed1.json', 7], ['arms/a/seed0.json', 8]]);
    assert.deepEqual(await store.list('nothing/'), []);
    await store.delete('results.json');
    await store.delete('results.json');
    assert.equal(await store.get('results.json'), null);
    for (const bad of ['', '../x', '/abs', 'a//b', 'a/./b', 'a\\b']) await assert.rejects(store.put(bad, bytes('x')), ConfigError, `key ${JSON.stringify(bad)}`);
  });

  test(`${kind} store: any sequence of puts and deletes leaves what a map would hold`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('a', 'b/c', 'b/d', 'e f/g'), fc.option(fc.string({ maxLength: 12 }), { nil: null })), { maxLength: 12 }), async (ops) => {
        const store = await fresh();
        const model = new Map<string, string>();
        for (const [key, value] of ops) {
          if (value === null) {
            await store.delete(key);
            model.delete(key);
          } else {
            await store.put(key, bytes(value));
            model.set(key, value);
          }
        }
        assert.deepEqual((await store.list()).map((e) => e.key), [...model.keys()].sort());
        for (const [k, v] of model) assert.equal(text(await store.get(k)), v);
      }),
      { numRuns: 15 },
    );
  });

  test(`${kind} store: run-store records read back by fingerprint, the same bytes as a record file`, async () => {
    const store = await fresh();
    await writeStoredRun(store, 'arms/crop/seeds/seed0.json', { seed: 0, model: 'sasrec' }, { ndcg: 0.25 });
    assert.deepEqual((await readStoredRun(store, 'arms/crop/seeds/seed0.json', { model: 'sasrec', seed: 0 }))?.result, { ndcg: 0.25 }, 'key order does not matter');
    assert.equal(await readStoredRun(store, 'arms/crop/seeds/seed0.json', { seed: 1, model: 'sasrec' }), null, 'another run is not ours');
    const file = join(tempFolder('samplify-record-'), 'seed0.json');
    writeRunResult(file, { seed: 0, model: 'sasrec' }, { ndcg: 0.25 });
    assert.equal(text(await store.get('arms/crop/seeds/seed0.json')), readFileSync(file, 'utf8'));
    assert.deepEqual(readRunResult(file, { seed: 0, model: 'sasrec' })?.result, { ndcg: 0.25 });
  });

  test(`${kind} store: a mirror folder pulls what changed in the store and pushes only what it wrote`, async () => {
    const store = await fresh();
    await store.put('generators/g.json', bytes('model'));
    await store.put('arms/a/seed0.json', bytes('seed0'));
    const folder = tempFolder('samplify-mirror-');
    const mirror = new StoreMirror(store, folder);
    assert.deepEqual((await mirror.pull()).copied, ['arms/a/seed0.json', 'generators/g.json']);
    assert.equal(readFileSync(join(folder, 'generators', 'g.json'), 'utf8'), 'model');
    assert.deepEqual((await mirror.pull()).copied, [], 'nothing changed');
    assert.deepEqual((await mirror.push()).copied, [], 'pulled files are not sent back');
    writeFileAtomic(join(folder, 'arms', 'a', 'seed1.json'), 'seed1');
    writeFileSync(join(folder, 'arms', 'a', 'seed1.json.lock'), '123');
    assert.deepEqual((await mirror.push()).copied, ['arms/a/seed1.json'], 'only the new file; no lock file');
    assert.equal(text(await store.get('arms/a/seed1.json')), 'seed1');
    assert.deepEqual((await mirror.pull()).copied, [], 'a pushed file is not fetched back');
    await store.put('arms/a/seed0.json', bytes('seed0, rewritten elsewhere'));
    // A second mirror of the same store (another machine) sees everything; the first sees the change.
    const other = new StoreMirror(store, tempFolder('samplify-mirror-'));
    assert.deepEqual((await other.pull()).copied.length, 3);
    assert.deepEqual((await mirror.pull()).copied, ['arms/a/seed0.json']);
    assert.equal(readFileSync(join(folder, 'arms', 'a', 'seed0.json'), 'utf8'), 'seed0, rewritten elsewhere');
    // A mirror reopened on the same folder (a restarted worker) remembers what it synced.
    assert.deepEqual((await new StoreMirror(store, folder).push()).copied, []);
  });
}

test('s3 store: locations, settings from the environment, credentials never in a message, only the five operations', async () => {
  assert.deepEqual(parseS3Location('s3://runs/beauty/lift'), { bucket: 'runs', prefix: 'beauty/lift/' });
  assert.deepEqual(parseS3Location('s3://runs'), { bucket: 'runs', prefix: '' });
  for (const bad of ['s3://', 's3://UPPER/x', 's3://runs/../x', 'http://runs/x']) assert.throws(() => parseS3Location(bad), ConfigError, bad);
  assert.throws(() => s3SettingsFrom('s3://runs/x', { AWS_ACCESS_KEY_ID: 'only-the-id' }), ConfigError);
  assert.equal(s3SettingsFrom('s3://runs/x', {}).region, 'us-east-1');
  await assert.rejects(openStore('ftp://host/x'), ConfigError);
  const store = await openStore('s3://runs/msg', env(s3.endpoint));
  opened.push(store);
  assert.equal(store.location, 's3://runs/msg');
  assert.equal(store.folder, undefined);
  // A missing bucket: the error names the object, never the secret or the key id's signature.
  const missing = await openStore('s3://nobucket/x', env(s3.endpoint));
  opened.push(missing);
  const e = await missing.put('a.json', bytes('x')).then(() => null, (err: unknown) => err as Error);
  assert.ok(e, 'a put to a missing bucket fails');
  assert.match(e.message, /PUT s3:\/\/nobucket\/x\/a\.json failed: NoSuchBucket \(HTTP 404\)/);
  assert.ok(!e.message.includes(SECRET) && !JSON.stringify(e).includes(SECRET));
  // Wrong credentials are refused by the server, with the same kind of message.
  const wrong = await openStore('s3://runs/x', { ...env(s3.endpoint), AWS_ACCESS_KEY_ID: 'SOMEONEELSE' });
  opened.push(wrong);
  await assert.rejects(wrong.get('a.json'), /GET s3:\/\/runs\/x\/a\.json failed: AccessDenied \(HTTP 403\)/);
  // A throttled request is retried by the client.
  s3.failNext(1);
  await store.put('retried.json', bytes('ok'));
  assert.equal(text(await store.get('retried.json')), 'ok');
  const ops = new Set(s3.requests.map((r) => r.op));
  assert.ok([...ops].every((op) => ['PUT', 'GET', 'HEAD', 'LIST', 'DELETE'].includes(op)), `operations used: ${[...ops].join(', ')}`);
  assert.ok(s3.requests.some((r) => r.conditional), 'a create is a conditional PUT');
});
