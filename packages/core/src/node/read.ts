import { open } from 'node:fs/promises';
import { type Bundle, type Inspection, readHead, verifySections } from '../envelope/bundle.js';
import { isAllZero, toHex } from '../envelope/bytes.js';
import { PREFIX_BYTES } from '../envelope/constants.js';
import type { SectionEntry } from '../envelope/header.js';
import { checkSectionTable, dataStart } from '../envelope/layout.js';
import { decodePrefix } from '../envelope/prefix.js';
import { ModelBundleError } from '../errors.js';
import { ioError, readExactly } from './file-io.js';

/** {@link Inspection} plus how many bytes were read from disk to produce it. */
export interface FileInspection extends Inspection {
  bytesRead: number;
}

/** Reads only the prefix and the header of a bundle file, whatever its size. */
export async function inspectFile(path: string): Promise<FileInspection> {
  const handle = await open(path, 'r').catch((e) => Promise.reject(ioError('open', path, e)));
  try {
    const size = (await handle.stat()).size;
    const prefixBytes = await readExactly(handle, 0, Math.min(PREFIX_BYTES, size));
    const prefix = decodePrefix(prefixBytes, size);
    const head = new Uint8Array(PREFIX_BYTES + prefix.headerLength);
    head.set(prefixBytes);
    await readExactly(handle, PREFIX_BYTES, prefix.headerLength, head.subarray(PREFIX_BYTES));
    const { header } = await readHead(head, size);
    return {
      header,
      fileLength: size,
      headerLength: prefix.headerLength,
      headerDigest: toHex(prefix.headerDigest),
      signed: prefix.signature !== undefined,
      bytesRead: head.length,
    };
  } catch (e) {
    throw ioError('inspect', path, e);
  } finally {
    await handle.close();
  }
}

/** Options for {@link readBundle}. */
export interface ReadBundleOptions {
  /** Check every section digest (default true). */
  verify?: boolean;
}

/**
 * Reads a bundle file. Each section is read into its own buffer (aligned at
 * offset 0), so bundles larger than one ArrayBuffer can be read, and the
 * whole file is never held as one copy.
 */
export async function readBundle(path: string, options: ReadBundleOptions = {}): Promise<Bundle> {
  const handle = await open(path, 'r').catch((e) => Promise.reject(ioError('open', path, e)));
  try {
    const size = (await handle.stat()).size;
    const prefixBytes = await readExactly(handle, 0, Math.min(PREFIX_BYTES, size));
    const prefix = decodePrefix(prefixBytes, size);
    const base = dataStart(prefix.headerLength);
    const headEnd = Math.min(base, size);
    const head = new Uint8Array(headEnd);
    head.set(prefixBytes);
    await readExactly(handle, PREFIX_BYTES, headEnd - PREFIX_BYTES, head.subarray(PREFIX_BYTES));
    const { header, headerBytes } = await readHead(head, size);
    checkSectionTable(prefix.headerLength, header.sections, size);
    const sections = new Map<string, Uint8Array>();
    let pos = PREFIX_BYTES + prefix.headerLength;
    if (header.sections.length > 0) assertZero(head.subarray(pos, headEnd), 'header');
    pos = header.sections.length > 0 ? base : pos;
    const bundle: Bundle = {
      header,
      sections,
      headerBytes: headerBytes.slice(),
      headerDigest: prefix.headerDigest,
      ...(prefix.signature ? { signature: prefix.signature } : {}),
    };
    // Section i is hashed on this thread while section i + 1 is read on the
    // thread pool, so verifying costs little more than reading.
    const entries = header.sections;
    const readSection = async (entry: SectionEntry, from: number): Promise<Uint8Array> => {
      const start = base + entry.offset;
      if (start > from) assertZero(await readExactly(handle, from, start - from), `section:${entry.name}`);
      return readExactly(handle, start, entry.length);
    };
    let next = entries[0] ? readSection(entries[0], pos) : undefined;
    for (const [i, entry] of entries.entries()) {
      const data = (await next) as Uint8Array;
      const following = entries[i + 1];
      next = following ? readSection(following, base + entry.offset + entry.length) : undefined;
      sections.set(entry.name, data);
      if (options.verify === false) continue;
      await verifySections({ ...bundle, header: { ...header, sections: [entry] } }).catch(async (e) => {
        await next?.catch(() => {}); // let the read in flight finish before the file is closed
        throw e;
      });
    }
    await next;
    return bundle;
  } catch (e) {
    throw ioError('read', path, e);
  } finally {
    await handle.close();
  }
}

function assertZero(bytes: Uint8Array, region: string): void {
  if (!isAllZero(bytes)) {
    throw new ModelBundleError(
      'CORRUPT',
      `Alignment padding before ${region} holds non-zero bytes. The file was modified or corrupted; copy it again from the source.`,
      {
        details: { region: `padding:${region}` },
      },
    );
  }
}
