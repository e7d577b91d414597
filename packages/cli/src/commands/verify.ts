import { checkTrust, ModelBundleError } from '@modelbundle/core';
import type { SectionCheck } from '@modelbundle/core/format';
import { toHex } from '@modelbundle/core/internal';
import { checkFile } from '@modelbundle/core/node';
import { localBundleFile } from '../board-ref.js';
import { toModelBundleError } from '../errors.js';
import { out, outJson, paint } from '../output.js';
import { progressReporter } from '../progress.js';
import { readTrustedKeys } from '../trust.js';

/** Options of `modelbundle verify`. */
export interface VerifyOptions {
  json?: boolean;
  /** Public key files; when given, the bundle must be signed by one of them. */
  publicKey?: string[];
}

/** The `--json` document of `verify` (documented in docs/guides/cli.md). */
export interface VerifyReport {
  file: string;
  intact: boolean;
  /** The prefix and header checks (magic, lengths, header digest, header rules). */
  header: { ok: boolean; sha256: string | null };
  sections: SectionCheck[];
  /**
   * Whether the prefix carries a signature, whether it was checked (only with
   * --public-key, and only once every digest matched), whether it verified,
   * and the fingerprint of the key that verified it.
   */
  signature: { present: boolean; checked: boolean; valid: boolean | null; fingerprint: string | null };
  /** Why the check failed (damage, or an untrusted signature): code, message and details (region names the damaged place). */
  error: { code: string; message: string; details: Record<string, unknown> } | null;
}

/**
 * Checks every digest of a bundle file: the header digest in the prefix,
 * then each section's SHA-256, all of them (not just the first damaged).
 * With public keys, then checks that one of them signed it.
 * Exit 0 when intact (and trusted), otherwise the code of the failure
 * (CORRUPT 12, TRUNCATED 11, SIGNATURE_INVALID 19, ...).
 */
export async function verifyCommand(file: string, options: VerifyOptions): Promise<number> {
  const keys = await readTrustedKeys(options.publicKey);
  const report: VerifyReport = {
    file,
    intact: false,
    header: { ok: false, sha256: null },
    sections: [],
    signature: { present: false, checked: false, valid: null, fingerprint: null },
    error: null,
  };
  let failure: ModelBundleError | undefined;
  try {
    const progress = progressReporter('reading');
    const { head, sections } = await checkFile(await localBundleFile(file), { onProgress: progress.onProgress }).finally(progress.stop);
    report.header = { ok: true, sha256: toHex(head.headerDigest) };
    report.signature.present = head.signature !== undefined;
    report.sections = sections;
    const damaged = report.sections.filter((s) => !s.ok);
    if (damaged.length > 0) {
      failure = new ModelBundleError(
        'CORRUPT',
        `${damaged.length} of ${report.sections.length} sections are damaged: ${damaged.map((s) => s.name).join(', ')}. The file was modified or corrupted; copy it again from the source.`,
        { details: { region: `section:${damaged[0]?.name}`, sections: damaged.map((s) => s.name) } },
      );
    }
    // Damage is reported as damage (12): a signature is only worth checking over intact bytes.
    if (!failure && keys) {
      report.signature.checked = true;
      try {
        const check = await checkTrust(head, { trustedKeys: keys });
        report.signature.valid = true;
        report.signature.fingerprint = check?.fingerprint ?? null;
      } catch (error) {
        const untrusted = toModelBundleError(error);
        if (untrusted.code === 'SIGNATURE_INVALID') report.signature.valid = false;
        failure = untrusted;
      }
    }
  } catch (error) {
    failure = toModelBundleError(error);
  }
  report.intact = failure === undefined || report.signature.valid === false;
  report.error = failure ? failure.toJSON() : null;
  if (options.json) outJson(report);
  else printReport(report);
  if (failure && !options.json) throw failure;
  return failure ? failure.exitCode : 0;
}

function printReport(r: VerifyReport): void {
  const s = process.stdout;
  const mark = (ok: boolean) => (ok ? paint(s, 'green', 'ok     ') : paint(s, 'red', 'DAMAGED'));
  // No header line for a file that is missing or no bundle: there is no header to call damaged.
  const unread = ['NOT_FOUND', 'IO_ERROR', 'NOT_A_BUNDLE'].includes(r.error?.code ?? '');
  if (!unread) out(`${mark(r.header.ok)} header${r.header.sha256 ? ` sha256 ${r.header.sha256}` : ''}`);
  for (const section of r.sections) out(`${mark(section.ok)} section ${section.name} (${section.length} bytes)`);
  if (!unread) out(`signature: ${signatureLine(r.signature)}`);
  out(
    r.intact && r.signature.valid === false
      ? paint(s, 'red', `${r.file}: intact, but not signed by a trusted key`)
      : r.intact
        ? paint(s, 'green', `${r.file}: intact`)
        : paint(s, 'red', `${r.file}: ${verdict(r)}`),
  );
}

/** Not found, not a bundle, or damaged (and where): three different problems with three different fixes. */
function verdict(r: VerifyReport): string {
  switch (r.error?.code) {
    case 'NOT_FOUND':
      return 'not found';
    case 'IO_ERROR':
      return 'cannot be read';
    case 'NOT_A_BUNDLE':
      return 'not a bundle';
    case 'UNSUPPORTED_FORMAT':
      return 'a bundle of a newer format';
    default:
      return `damaged${r.error?.details.region ? ` at ${String(r.error.details.region)}` : ''}`;
  }
}

function signatureLine(signature: VerifyReport['signature']): string {
  if (signature.valid) return paint(process.stdout, 'green', `valid, signed by ${signature.fingerprint}`);
  if (signature.valid === false) return paint(process.stdout, 'red', signature.present ? 'NOT TRUSTED' : 'none (a signature was required)');
  return signature.present ? 'present (not checked: pass --public-key to check it)' : 'none';
}
