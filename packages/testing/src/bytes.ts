import { inspect } from '@modelbundle/core';
import { ALIGNMENT, PREFIX_BYTES } from '@modelbundle/core/format';

/** Absolute file offset of each section's first byte, from the prefix and header alone. */
export async function sectionOffsets(bytes: Uint8Array): Promise<Map<string, { start: number; length: number }>> {
  const { header, headerLength } = await inspect(bytes);
  const base = Math.ceil((PREFIX_BYTES + headerLength) / ALIGNMENT) * ALIGNMENT;
  return new Map(header.sections.map((s) => [s.name, { start: base + s.offset, length: s.length }]));
}

/** A copy of `bytes` with one bit flipped inside the largest section (undefined when there is no non-empty section). */
export async function corruptLargestSection(bytes: Uint8Array): Promise<{ bytes: Uint8Array; section: string } | undefined> {
  const offsets = [...(await sectionOffsets(bytes)).entries()].filter(([, s]) => s.length > 0);
  const largest = offsets.sort((a, b) => b[1].length - a[1].length)[0];
  if (!largest) return undefined;
  const [section, { start, length }] = largest;
  const out = bytes.slice();
  const at = start + Math.floor(length / 2);
  out[at] = (out[at] as number) ^ 0x01;
  return { bytes: out, section };
}
