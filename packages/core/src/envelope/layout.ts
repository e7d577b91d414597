import { ModelBundleError } from '../errors.js';
import { alignUp } from './bytes.js';
import { ALIGNMENT, LIMITS, PREFIX_BYTES } from './constants.js';
import type { SectionEntry } from './header.js';

/** Where the data region starts: the first aligned offset after the header. */
export function dataStart(headerLength: number): number {
  return alignUp(PREFIX_BYTES + headerLength, ALIGNMENT);
}

/** Offsets (relative to the data region) for sections of the given lengths, each aligned. */
export function layoutOffsets(lengths: readonly number[]): number[] {
  const offsets: number[] = [];
  let end = 0;
  for (const length of lengths) {
    const offset = alignUp(end, ALIGNMENT);
    offsets.push(offset);
    end = offset + length;
  }
  return offsets;
}

/** Total file length for a header and section table laid out by {@link layoutOffsets}. */
export function fileLength(headerLength: number, sections: readonly SectionEntry[]): number {
  const last = sections.at(-1);
  return last ? dataStart(headerLength) + last.offset + last.length : PREFIX_BYTES + headerLength;
}

/**
 * Checks that the section table tiles the file exactly: unique names, each
 * offset where the layout puts it (aligned, in order, no overlap, no hole
 * beyond alignment padding), and the last section ending at the last byte.
 * All arithmetic stays below 2^53, so it cannot overflow.
 */
export function checkSectionTable(headerLength: number, sections: readonly SectionEntry[], totalLength: number): void {
  const names = new Set<string>();
  let end = 0;
  const base = dataStart(headerLength);
  for (const [i, s] of sections.entries()) {
    if (names.has(s.name)) {
      throw malformed(`section name "${s.name}" appears twice`, s.name);
    }
    names.add(s.name);
    const expected = alignUp(end, ALIGNMENT);
    if (s.offset !== expected) {
      throw malformed(
        `section ${i} ("${s.name}") starts at data offset ${s.offset}, expected ${expected} (sections are contiguous, ${ALIGNMENT}-byte aligned, in table order)`,
        s.name,
      );
    }
    if (s.length > LIMITS.fileBytes - base - s.offset) {
      throw malformed(`section "${s.name}" is ${s.length} bytes, which runs past any possible file end`, s.name);
    }
    end = s.offset + s.length;
  }
  const expectedLength = sections.length > 0 ? base + end : PREFIX_BYTES + headerLength;
  if (expectedLength !== totalLength) {
    throw malformed(
      `the section table covers ${expectedLength} bytes but the file is ${totalLength} bytes (a bundle has no holes and no trailing bytes)`,
      sections.at(-1)?.name,
    );
  }
}

function malformed(message: string, section: string | undefined): ModelBundleError {
  return new ModelBundleError('MALFORMED', `Section table is invalid: ${message}. The bundle is damaged or was written by a non-conforming writer.`, {
    details: { region: section === undefined ? 'header' : `section:${section}` },
  });
}
