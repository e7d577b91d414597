import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { GetObjectCommandOutput, ListObjectsV2CommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { ModelBundleError } from '@modelbundle/core';
import { countingStream } from '../progress-stream.js';
import type { BoardStorage, PutBody, PutOptions, PutOutcome } from './storage.js';

/** Options for {@link S3Storage}. */
export interface S3StorageOptions {
  /** The store's URL, for any S3-compatible store (Ceph RGW, MinIO, R2...). Default: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS. */
  endpoint?: string;
  /** Address buckets as `<endpoint>/<bucket>` (default true when an endpoint is set). */
  forcePathStyle?: boolean;
  /** Region (default `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1). */
  region?: string;
  /**
   * How create-only writes work: `auto` (default) probes once whether the store honours
   * `If-None-Match: *`; `check-then-write` skips the probe, for stores known not to.
   */
  conditionalWrites?: 'auto' | 'check-then-write';
  /** Extra S3 client settings; credentials come from the standard AWS chain (AWS_* variables, profiles, instance roles) unless given here. */
  client?: S3ClientConfig;
}

/**
 * A board in an S3 bucket, under a key prefix. Each object is written by one
 * PutObject, which S3 makes visible whole or not at all. Create-only writes
 * send `If-None-Match: *`; whether the store honours it is probed once
 * (a store that ignores it falls back to a HEAD before the PUT, which two
 * racing writers can both pass).
 */
export class S3Storage implements BoardStorage {
  readonly location: string;
  private readonly sdk: Promise<typeof import('@aws-sdk/client-s3')>;
  private readonly clientPromise: Promise<S3Client>;

  /** The S3 client (created on first use, with the options given here). */
  client(): Promise<S3Client> {
    return this.clientPromise;
  }

  /** Sends the command `make` builds from the SDK's classes. */
  private async call<T>(make: (sdk: typeof import('@aws-sdk/client-s3')) => unknown): Promise<T> {
    const [sdk, client] = await Promise.all([this.sdk, this.clientPromise]);
    return (await client.send(make(sdk) as Parameters<S3Client['send']>[0])) as T;
  }
  private conditional?: Promise<'atomic' | 'check-then-write'>;

  /** Opens `s3://bucket/prefix`. */
  constructor(
    readonly bucket: string,
    readonly prefix: string,
    options: S3StorageOptions = {},
  ) {
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    if (options.conditionalWrites === 'check-then-write') this.conditional = Promise.resolve('check-then-write');
    this.location = `s3://${bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    const config: S3ClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint, forcePathStyle: options.forcePathStyle ?? true } : {}),
      // Checksums only where S3 requires them: many S3-compatible stores refuse the newer trailing checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...options.client,
    };
    // The AWS SDK takes half a second to load: only boards on S3 pay for it, on first use.
    this.sdk = import('@aws-sdk/client-s3');
    this.sdk.catch(() => {}); // a failure is reported by the first operation
    this.clientPromise = this.sdk.then(({ S3Client }) => new S3Client(config));
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  conditionalWrites = (): Promise<'atomic' | 'check-then-write'> => {
    this.conditional ??= this.probeConditional();
    return this.conditional;
  };

  /** Writes a probe object twice with If-None-Match: *; a store that honours it refuses the second. */
  private async probeConditional(): Promise<'atomic' | 'check-then-write'> {
    const key = this.key(`.probe/${Date.now()}-${randomBytes(6).toString('hex')}`);
    const put = () => this.call((sdk) => new sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: new Uint8Array(1), IfNoneMatch: '*' }));
    try {
      await put();
      try {
        await put();
        return 'check-then-write';
      } catch (e) {
        if (isPreconditionFailed(e)) return 'atomic';
        throw e;
      }
    } finally {
      await this.call((sdk) => new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => {});
    }
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    const out = await this.get(key);
    if (!out) return undefined;
    return new Uint8Array(await out.Body.transformToByteArray());
  }

  async getRange(key: string, start: number, end: number): Promise<{ bytes: Uint8Array; total: number } | undefined> {
    if (end <= start) throw new ModelBundleError('INTERNAL', `Empty range ${start}-${end} asked of ${key}.`);
    const out = await this.get(key, `bytes=${start}-${end - 1}`);
    if (!out) return undefined;
    const bytes = new Uint8Array(await out.Body.transformToByteArray());
    const total = Number(/\/(\d+)$/.exec(out.ContentRange ?? '')?.[1] ?? out.ContentLength ?? bytes.length);
    return { bytes, total };
  }

  async getStream(key: string) {
    const out = await this.get(key);
    if (!out) return undefined;
    return { stream: out.Body as unknown as Readable, size: Number(out.ContentLength) };
  }

  private async get(key: string, range?: string) {
    try {
      return await this.call<GetOutput>((sdk) => new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...(range ? { Range: range } : {}) }));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (range && (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return undefined;
      throw this.failure('read', key, e);
    }
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutOutcome> {
    const mode = options.ifAbsent ? await this.conditionalWrites() : undefined;
    if (mode === 'check-then-write') {
      const exists = await this.call((sdk) => new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) })).then(
        () => true,
        (e) => (isNotFound(e) ? false : Promise.reject(this.failure('check', key, e))),
      );
      if (exists) return 'exists';
    }
    const size = 'bytes' in body ? body.bytes.byteLength : body.size;
    let data: Uint8Array | Readable;
    if ('bytes' in body) {
      data = body.bytes;
    } else {
      const stream = createReadStream(body.file, { highWaterMark: 1024 * 1024 });
      const onProgress = options.onProgress;
      data = onProgress ? stream.pipe(countingStream((sent) => onProgress(sent, size))) : stream;
    }
    try {
      await this.call(
        (sdk) =>
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(key),
            Body: data,
            ContentLength: size,
            ...(mode === 'atomic' ? { IfNoneMatch: '*' } : {}),
          }),
      );
      if ('bytes' in body) options.onProgress?.(size, size);
      return 'created';
    } catch (e) {
      if (mode === 'atomic' && isPreconditionFailed(e)) return 'exists';
      throw this.failure('write', key, e);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.call((sdk) => new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
    } catch (e) {
      if (!isNotFound(e)) throw this.failure('delete', key, e);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const full = this.key(prefix);
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call<ListObjectsV2CommandOutput>(
        (sdk) => new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ...(token ? { ContinuationToken: token } : {}) }),
      ).catch((e) => Promise.reject(this.failure('list', prefix, e)));
      for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key.slice(strip));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.filter((k) => !k.startsWith('.probe/')).sort();
  }

  private failure(what: string, key: string, e: unknown): ModelBundleError {
    if (e instanceof ModelBundleError) return e;
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = (e as Error).name;
    const hint =
      status === 403 || name === 'CredentialsProviderError'
        ? 'Check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or an AWS profile) and the bucket policy.'
        : name === 'NoSuchBucket'
          ? `Create the bucket ${this.bucket} first.`
          : 'Check the endpoint (--endpoint or AWS_ENDPOINT_URL), the bucket and the network.';
    return new ModelBundleError(
      'IO_ERROR',
      `Could not ${what} ${key} in ${this.location}: ${(e as Error).message || name}${status ? ` (HTTP ${status})` : ''}. ${hint}`,
      {
        cause: e,
        details: { board: this.location, key, ...(status ? { status } : {}) },
      },
    );
  }
}

type GetOutput = GetObjectCommandOutput & { Body: NonNullable<GetObjectCommandOutput['Body']> };

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name !== 'NoSuchBucket' && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404);
}

function isPreconditionFailed(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  // 412: the key exists. 409: AWS's answer to two conditional writes racing on one key (the other won).
  return err.$metadata?.httpStatusCode === 412 || err.$metadata?.httpStatusCode === 409 || err.name === 'PreconditionFailed';
}
