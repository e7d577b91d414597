import { type BundleHead, checkSectionDigest, type SectionCheck } from '../envelope/bundle.js';
import type { SectionEntry } from '../envelope/header.js';
import { openBundleFile } from './bundle-file.js';

/** Options for {@link checkFile}. */
export interface CheckFileOptions {
  /** Called as the file is read, with the bytes read so far and the file size; the last call has `read === total`. */
  onProgress?: (read: number, total: number) => void;
}

/** What {@link checkFile} found: the file's head (its header digest checked) and every section's check. */
export interface FileCheck {
  head: BundleHead;
  /** One entry per section, in file order, damaged or not. */
  sections: SectionCheck[];
}

/**
 * Checks every section of a bundle file against its digest and reports
 * each one, damaged or not (as `checkSections` does for a bundle in
 * memory). Sections are hashed in 4 MiB slices and kept nowhere, so a file
 * of any size is checked in 8 MiB of memory. Damage outside the sections
 * (prefix, header digest, section table, padding, a cut-off end) throws, as
 * it does for `readBundle`.
 */
export async function checkFile(path: string, options: CheckFileOptions = {}): Promise<FileCheck> {
  const file = await openBundleFile(path, options.onProgress ? { onProgress: options.onProgress } : {});
  try {
    const sections: SectionCheck[] = [];
    for (const entry of file.head.header.sections) {
      const found = await file.digestSection(entry.name);
      const ok = found === entry.sha256;
      sections.push({ name: entry.name, length: entry.length, sha256: entry.sha256, ok, ...(ok ? {} : { found }) });
    }
    return { head: file.head, sections };
  } finally {
    await file.close();
  }
}

/** The head of a bundle file whose every section matches its digest; CORRUPT naming the first damaged section otherwise. */
export async function intactHead(path: string, options: CheckFileOptions = {}): Promise<BundleHead> {
  const { head, sections } = await checkFile(path, options);
  for (const [i, check] of sections.entries()) {
    if (!check.ok) checkSectionDigest(head.header.sections[i] as SectionEntry, check.found as string);
  }
  return head;
}
