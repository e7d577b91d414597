import { type Bundle, ModelBundleError, sha256, toHex } from '@modelbundle/core';
import { toModelBundleError } from '../errors.js';
import { out, outJson, paint } from '../output.js';
import { readBundleFile } from '../progress.js';

/** Options of `modelbundle verify`. */
export interface VerifyOptions {
  json?: boolean;
}

/** One section's digest check. */
export interface SectionCheck {
  name: string;
  length: number;
  sha256: string;
  ok: boolean;
  /** The digest actually found, when it differs. */
  found?: string;
}

/** The `--json` document of `verify` (documented in docs/guides/cli.md). */
export interface VerifyReport {
  file: string;
  intact: boolean;
  /** The prefix and header checks (magic, lengths, header digest, header rules). */
  header: { ok: boolean; sha256: string | null };
  sections: SectionCheck[];
  /** Whether the prefix carries a signature, and whether it was checked. */
  signature: { present: boolean; checked: boolean; valid: boolean | null };
  /** Why the bundle is not intact: code, message and details (region names the damaged place). */
  error: { code: string; message: string; details: Record<string, unknown> } | null;
}

/**
 * Checks every digest of a bundle file: the header digest in the prefix,
 * then each section's SHA-256, all of them (not just the first damaged).
 * Exit 0 when intact, otherwise the code of the failure (CORRUPT 12, TRUNCATED 11, ...).
 */
export async function verifyCommand(file: string, options: VerifyOptions): Promise<number> {
  const report: VerifyReport = {
    file,
    intact: false,
    header: { ok: false, sha256: null },
    sections: [],
    signature: { present: false, checked: false, valid: null },
    error: null,
  };
  let failure: ModelBundleError | undefined;
  try {
    const bundle = await readBundleFile(file, false);
    report.header = { ok: true, sha256: toHex(bundle.headerDigest) };
    report.signature.present = bundle.signature !== undefined;
    report.sections = await checkSections(bundle);
    const damaged = report.sections.filter((s) => !s.ok);
    if (damaged.length > 0) {
      failure = new ModelBundleError(
        'CORRUPT',
        `${damaged.length} of ${report.sections.length} sections are damaged: ${damaged.map((s) => s.name).join(', ')}. The file was modified or corrupted; copy it again from the source.`,
        { details: { region: `section:${damaged[0]?.name}`, sections: damaged.map((s) => s.name) } },
      );
    }
    // Signature checks (with a trusted public key) belong here, after the digests they sign.
  } catch (error) {
    failure = toModelBundleError(error);
  }
  report.intact = failure === undefined;
  report.error = failure ? failure.toJSON() : null;
  if (options.json) outJson(report);
  else printReport(report);
  if (failure && !options.json) throw failure;
  return failure ? failure.exitCode : 0;
}

async function checkSections(bundle: Bundle): Promise<SectionCheck[]> {
  const checks: SectionCheck[] = [];
  for (const entry of bundle.header.sections) {
    const data = bundle.sections.get(entry.name);
    const found = data ? toHex(await sha256(data)) : 'missing';
    checks.push({ name: entry.name, length: entry.length, sha256: entry.sha256, ok: found === entry.sha256, ...(found === entry.sha256 ? {} : { found }) });
  }
  return checks;
}

function printReport(r: VerifyReport): void {
  const s = process.stdout;
  const mark = (ok: boolean) => (ok ? paint(s, 'green', 'ok     ') : paint(s, 'red', 'DAMAGED'));
  out(`${mark(r.header.ok)} header${r.header.sha256 ? ` sha256 ${r.header.sha256}` : ''}`);
  for (const section of r.sections) out(`${mark(section.ok)} section ${section.name} (${section.length} bytes)`);
  out(`signature: ${r.signature.present ? 'present (not checked)' : 'none'}`);
  out(
    r.intact
      ? paint(s, 'green', `${r.file}: intact`)
      : paint(s, 'red', `${r.file}: damaged${r.error?.details.region ? ` at ${String(r.error.details.region)}` : ''}`),
  );
}
