import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { type Bundle, type Inspection, inspect, isModelBundleError, ModelBundleError } from '@modelbundle/core';
import { decodePrefix, PREFIX_BYTES } from '@modelbundle/core/format';

/** What a {@link VerifyingStream} learnt once the whole bundle went through it intact. */
export interface VerifiedHead {
  inspection: Inspection;
  /** Enough of the bundle for `verifySignature`: header bytes, header digest and signature (no sections). */
  signed: Bundle;
}

interface Region {
  start: number;
  end: number;
  /** The section's name and running digest, or undefined for alignment padding (must be zero). */
  section?: { name: string; sha256: string; hash: Hash };
}

/**
 * Checks a bundle as it streams past (to a file, say), so a download is
 * verified without reading it back: the prefix and header first (header
 * digest, and `expectDigest` when given, so a replaced object is refused
 * after its first bytes), then every section's SHA-256 and every padding
 * byte, and finally that the stream ended exactly at the prefix's file
 * length. Errors are the usual TRUNCATED, CORRUPT, MALFORMED...; the bytes
 * pass through unchanged.
 */
export class VerifyingStream extends Transform {
  private head: Buffer[] = [];
  private headLength = 0;
  private pos = 0;
  private regions: Region[] = [];
  private fileLength = -1;
  private result?: VerifiedHead;

  constructor(private readonly expectDigest?: string) {
    super();
  }

  /** The inspection and signature material, once the stream has ended intact. */
  get verified(): VerifiedHead {
    if (!this.result || !this.finished) throw new ModelBundleError('INTERNAL', 'The bundle stream has not been verified yet.');
    // Every section was checked on the way through, so signature checks need not look for them.
    return { ...this.result, signed: { ...this.result.signed, verified: true } };
  }

  private finished = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.accept(chunk).then(
      () => done(null, chunk),
      (error: unknown) => done(error as Error),
    );
  }

  override _flush(done: TransformCallback): void {
    this.finish().then(
      () => done(),
      (error: unknown) => done(error as Error),
    );
  }

  private async accept(chunk: Buffer): Promise<void> {
    if (this.fileLength < 0) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      const bytes = Buffer.concat(this.head);
      this.head = [bytes];
      const ready = await this.tryHead(bytes, false);
      if (!ready) return;
      this.head = [];
      this.feed(bytes, 0);
      return;
    }
    this.feed(chunk, this.pos);
  }

  /** Parses the head once enough bytes arrived; false while more are needed. */
  private async tryHead(bytes: Buffer, final: boolean): Promise<boolean> {
    if (bytes.length < PREFIX_BYTES && !final) return false;
    let inspection: Inspection;
    try {
      inspection = await inspect(bytes);
    } catch (e) {
      if (!final && isModelBundleError(e, 'TRUNCATED') && e.details.region === 'header') return false;
      throw e;
    }
    if (this.expectDigest && inspection.headerDigest !== this.expectDigest) {
      throw new ModelBundleError(
        'CORRUPT',
        `The bundle's header digest is ${inspection.headerDigest}, but ${this.expectDigest} was expected: it is not the version that was published.`,
        {
          details: { region: 'header', expected: this.expectDigest, found: inspection.headerDigest },
        },
      );
    }
    const prefix = decodePrefix(bytes.subarray(0, PREFIX_BYTES));
    const headerEnd = PREFIX_BYTES + inspection.headerLength;
    const sections = inspection.header.sections;
    const last = sections.at(-1);
    // Sections tile the file to its last byte, so the data region starts where the last one says.
    const base = last ? inspection.fileLength - last.offset - last.length : headerEnd;
    let at = headerEnd;
    for (const entry of sections) {
      const start = base + entry.offset;
      if (start > at) this.regions.push({ start: at, end: start });
      this.regions.push({ start, end: start + entry.length, section: { name: entry.name, sha256: entry.sha256, hash: createHash('sha256') } });
      at = start + entry.length;
    }
    this.fileLength = inspection.fileLength;
    this.result = {
      inspection,
      signed: {
        header: inspection.header,
        sections: new Map(),
        headerBytes: new Uint8Array(bytes.subarray(PREFIX_BYTES, headerEnd)),
        headerDigest: prefix.headerDigest,
        ...(prefix.signature ? { signature: prefix.signature } : {}),
      },
    };
    this.pos = headerEnd;
    this.feedFrom = headerEnd;
    return true;
  }

  private feedFrom = 0;

  /** Hashes or checks the bytes of `chunk`, which starts at file offset `offset`. */
  private feed(chunk: Buffer, offset: number): void {
    const from = Math.max(offset, this.feedFrom);
    const end = offset + chunk.length;
    if (end > this.fileLength) {
      throw new ModelBundleError('TRUNCATED', `The bundle is longer than its prefix says (${this.fileLength} bytes): bytes were appended. Publish it again.`, {
        details: { region: 'file', expected: this.fileLength },
      });
    }
    for (const region of this.regions) {
      if (region.end <= from || region.start >= end) continue;
      const slice = chunk.subarray(Math.max(region.start, from) - offset, Math.min(region.end, end) - offset);
      if (region.section) region.section.hash.update(slice);
      else if (slice.some((b) => b !== 0)) {
        throw new ModelBundleError('CORRUPT', 'Alignment padding holds non-zero bytes. The bundle was modified or corrupted; publish it again.', {
          details: { region: 'padding' },
        });
      }
    }
    this.pos = end;
    this.feedFrom = end;
    // Regions wholly behind us are done.
    while (this.regions.length > 0 && (this.regions[0] as Region).end <= end && !(this.regions[0] as Region).section) this.regions.shift();
  }

  private async finish(): Promise<void> {
    if (this.fileLength < 0) {
      const bytes = Buffer.concat(this.head);
      await this.tryHead(bytes, true);
      this.feed(bytes, 0);
    }
    if (this.pos !== this.fileLength) {
      throw new ModelBundleError(
        'TRUNCATED',
        `The bundle is truncated: ${this.pos} bytes arrived, but its prefix says ${this.fileLength}. It was cut off while being uploaded or downloaded; try again, or publish it again.`,
        { details: { region: 'file', expected: this.fileLength, found: this.pos } },
      );
    }
    for (const region of this.regions) {
      if (!region.section) continue;
      const found = region.section.hash.digest('hex');
      if (found !== region.section.sha256) {
        throw new ModelBundleError(
          'CORRUPT',
          `Section "${region.section.name}" is damaged: its SHA-256 is ${found}, the header records ${region.section.sha256}. The object was modified or corrupted; publish it again.`,
          { details: { region: `section:${region.section.name}`, expected: region.section.sha256, found } },
        );
      }
    }
    this.finished = true;
  }
}
