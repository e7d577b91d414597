import { open } from 'node:fs/promises';
import { type Bundle, type Inspection, inspection, readHead, verifySections } from '../envelope/bundle.js';
import { isAllZero } from '../envelope/bytes.js';
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
    return { ...inspection(header, prefix), bytesRead: head.length };
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
      verified: options.verify !== false,
      ...(prefix.signature ? { signature: prefix.signature } : {}),
    };
    // Sections are read in groups: a large section alone, into a buffer of
    // its own; a run of small ones in one read (each then copied out into
    // its own buffer), so a model of many small tensors costs few reads.
    // Group i is hashed on this thread while group i + 1 is read on the
    // thread pool, so verifying costs little more than reading.
    const groups = groupSections(header.sections);
    const readGroup = async (group: SectionEntry[], from: number): Promise<Uint8Array[]> => {
      const first = group[0] as SectionEntry;
      const last = group[group.length - 1] as SectionEntry;
      const start = base + first.offset;
      if (group.length === 1 && first.length >= SMALL_SECTION) {
        if (start > from) assertZero(await readExactly(handle, from, start - from), `section:${first.name}`);
        return [await readExactly(handle, start, first.length)];
      }
      const run = await readExactly(handle, from, base + last.offset + last.length - from);
      let end = 0;
      return group.map((entry) => {
        const at = base + entry.offset - from;
        assertZero(run.subarray(end, at), `section:${entry.name}`);
        end = at + entry.length;
        return run.slice(at, end);
      });
    };
    const groupEnd = (group: SectionEntry[]) => base + (group.at(-1) as SectionEntry).offset + (group.at(-1) as SectionEntry).length;
    let next = groups[0] ? readGroup(groups[0], pos) : undefined;
    for (const [i, group] of groups.entries()) {
      const data = (await next) as Uint8Array[];
      const following = groups[i + 1];
      next = following ? readGroup(following, groupEnd(group)) : undefined;
      for (const [k, entry] of group.entries()) sections.set(entry.name, data[k] as Uint8Array);
      if (options.verify === false) continue;
      await verifySections({ ...bundle, header: { ...header, sections: group } }).catch(async (e) => {
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

/** Sections below this size are read together with their neighbours. */
const SMALL_SECTION = 256 * 1024;
/** The most bytes one grouped read of small sections covers. */
const GROUP_BYTES = 4 * 1024 * 1024;

/** Splits the section table into read groups: each large section alone, runs of small ones together. */
function groupSections(entries: readonly SectionEntry[]): SectionEntry[][] {
  const groups: SectionEntry[][] = [];
  let run: SectionEntry[] = [];
  let runBytes = 0;
  for (const entry of entries) {
    if (entry.length >= SMALL_SECTION) {
      if (run.length > 0) groups.push(run);
      groups.push([entry]);
      run = [];
      runBytes = 0;
      continue;
    }
    if (runBytes + entry.length > GROUP_BYTES && run.length > 0) {
      groups.push(run);
      run = [];
      runBytes = 0;
    }
    run.push(entry);
    runBytes += entry.length + 64;
  }
  if (run.length > 0) groups.push(run);
  return groups;
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
