/**
 * A loopback S3-compatible server of our own for the store tests: path-style addresses
 * (/bucket/key), in memory, serving only what the S3 store uses — PutObject (with If-None-Match: *),
 * GetObject, HeadObject, ListObjectsV2 (paged), DeleteObject — and refusing anything else, so a
 * test notices when the store starts to need more. A request must carry a SigV4 Authorization
 * header for the expected access key id (the signature itself is not checked). Every request is
 * recorded (operation and key, never headers) for the tests to inspect.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface S3Request {
  readonly op: 'PUT' | 'GET' | 'HEAD' | 'LIST' | 'DELETE' | 'REFUSED';
  readonly bucket: string;
  readonly key: string;
  readonly conditional?: boolean;
}

export interface LoopbackS3 {
  readonly endpoint: string;
  readonly requests: S3Request[];
  /** The objects: `bucket/key` → bytes. */
  readonly objects: Map<string, { bytes: Buffer; etag: string; modified: Date }>;
  /** Makes the next `n` requests fail with 503 SlowDown (the client retries them). */
  failNext(n: number): void;
  close(): Promise<void>;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function errorXml(res: ServerResponse, status: number, code: string, key = '', head = false): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'loopback' });
  res.end(head ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message><Key>${xmlEscape(key)}</Key><RequestId>loopback</RequestId></Error>`);
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

export async function startLoopbackS3(o: { readonly accessKeyId: string; readonly buckets: readonly string[]; readonly pageSize?: number }): Promise<LoopbackS3> {
  const objects = new Map<string, { bytes: Buffer; etag: string; modified: Date }>();
  const requests: S3Request[] = [];
  const pageSize = o.pageSize ?? 1000;
  let failing = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${o.accessKeyId}/`)) return errorXml(res, 403, 'AccessDenied', key, req.method === 'HEAD');
    if (!o.buckets.includes(bucket)) return errorXml(res, 404, 'NoSuchBucket', key, req.method === 'HEAD');
    if (failing > 0) {
      failing--;
      await body(req);
      return errorXml(res, 503, 'SlowDown', key, req.method === 'HEAD');
    }
    const id = `${bucket}/${key}`;
    // Chunked uploads with trailing checksums are an SDK default the store turns off; refuse them so a change is noticed.
    if (String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') || req.headers['content-encoding'] === 'aws-chunked') {
      requests.push({ op: 'REFUSED', bucket, key });
      await body(req);
      return errorXml(res, 501, 'NotImplemented', key);
    }
    if (req.method === 'PUT' && key !== '' && !req.headers['x-amz-copy-source']) {
      const bytes = await body(req);
      const conditional = req.headers['if-none-match'] === '*';
      requests.push({ op: 'PUT', bucket, key, ...(conditional ? { conditional } : {}) });
      if (conditional && objects.has(id)) return errorXml(res, 412, 'PreconditionFailed', key);
      const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
      objects.set(id, { bytes, etag, modified: new Date() });
      res.writeHead(200, { etag });
      return res.end();
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && key !== '') {
      requests.push({ op: req.method, bucket, key });
      const obj = objects.get(id);
      if (!obj) return errorXml(res, 404, 'NoSuchKey', key, req.method === 'HEAD');
      res.writeHead(200, { etag: obj.etag, 'content-length': String(obj.bytes.length), 'content-type': 'application/octet-stream', 'last-modified': obj.modified.toUTCString() });
      return res.end(req.method === 'GET' ? obj.bytes : undefined);
    }
    if (req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      requests.push({ op: 'LIST', bucket, key: prefix });
      const after = url.searchParams.get('continuation-token') ?? '';
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => k.slice(bucket.length + 1))
        .sort()
        .filter((k) => k > after);
      const page = keys.slice(0, pageSize);
      const truncated = keys.length > page.length;
      const contents = page.map((k) => {
        const obj = objects.get(`${bucket}/${k}`)!;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${obj.modified.toISOString()}</LastModified><ETag>${xmlEscape(obj.etag)}</ETag><Size>${obj.bytes.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      });
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${pageSize}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents.join('')}${truncated ? `<NextContinuationToken>${xmlEscape(page.at(-1)!)}</NextContinuationToken>` : ''}</ListBucketResult>`,
      );
    }
    if (req.method === 'DELETE' && key !== '') {
      requests.push({ op: 'DELETE', bucket, key });
      objects.delete(id);
      res.writeHead(204);
      return res.end();
    }
    requests.push({ op: 'REFUSED', bucket, key });
    await body(req);
    return errorXml(res, 501, 'NotImplemented', key);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    objects,
    failNext: (n) => void (failing = n),
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
