/**
 * The S3-compatible store: the AWS SDK v3 client (@aws-sdk/client-s3), loaded only when a store
 * names s3:// (the embedded default never loads it). Only five operations are used — PutObject
 * (with If-None-Match: * for a create), GetObject, HeadObject, ListObjectsV2, DeleteObject — so
 * any S3-compatible server serves it. With a custom endpoint the client uses path-style addresses
 * (bucket in the path: what MinIO, Ceph and most self-hosted servers expect), and checksums are
 * sent and checked only where the API requires them, since not every compatible server knows the
 * SDK's newer default ones. Credentials never reach a message: errors name the bucket and key.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { checkStoreKey, StoreError, type S3Settings, type Store, type StoreEntry } from './store.ts';

/** The HTTP status of an SDK error (404, 412, …), when it has one. */
function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export class S3Store implements Store {
  private constructor(
    private readonly client: S3Client,
    private readonly settings: S3Settings,
    readonly location: string,
  ) {}

  static open(settings: S3Settings, location: string): S3Store {
    const client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3Store(client, settings, location);
  }

  private key(key: string): string {
    return this.settings.prefix + checkStoreKey(key);
  }

  private fail(op: string, key: string, e: unknown): never {
    const name = (e as { name?: string } | null)?.name ?? 'Error';
    const status = statusOf(e);
    // The SDK's message may quote a request; only the operation, the object and the status are kept.
    throw new StoreError(`${op} s3://${this.settings.bucket}/${this.key(key)} failed: ${name}${status !== undefined ? ` (HTTP ${status})` : ''}`, key);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key) }));
      return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      if (statusOf(e) === 404) return null;
      this.fail('GET', key, e);
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key), Body: bytes, ContentLength: bytes.byteLength }));
    } catch (e) {
      this.fail('PUT', key, e);
    }
  }

  async create(key: string, bytes: Uint8Array): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key), Body: bytes, ContentLength: bytes.byteLength, IfNoneMatch: '*' }));
      return true;
    } catch (e) {
      // 412: the object exists; 409: a concurrent conditional write won.
      if (statusOf(e) === 412 || statusOf(e) === 409) return false;
      this.fail('PUT (create)', key, e);
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key) }));
      return { size: r.ContentLength ?? 0 };
    } catch (e) {
      if (statusOf(e) === 404) return null;
      this.fail('HEAD', key, e);
    }
  }

  async list(prefix = ''): Promise<StoreEntry[]> {
    const out: StoreEntry[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix + prefix, ...(token ? { ContinuationToken: token } : {}) }));
      } catch (e) {
        this.fail('LIST', prefix || '(all)', e);
      }
      for (const c of page.Contents ?? []) {
        if (c.Key === undefined || !c.Key.startsWith(this.settings.prefix)) continue;
        out.push({ key: c.Key.slice(this.settings.prefix.length), size: c.Size ?? 0, ...(c.ETag ? { etag: c.ETag } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(key) }));
    } catch (e) {
      if (statusOf(e) === 404) return;
      this.fail('DELETE', key, e);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
