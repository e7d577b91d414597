import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelBundleError } from '@modelbundle/core';
import { signFile, writeKeyPair } from '@modelbundle/core/node';
import { out, outJson } from '../output.js';
import { progressReporter } from '../progress.js';

/** Options of `modelbundle keygen`. */
export interface KeygenOptions {
  name: string;
  force?: boolean;
  json?: boolean;
}

/** Writes `<name>.key` (private, mode 0600) and `<name>.pub` into `dir`; refuses to replace either without --force. */
export async function keygenCommand(dir: string, options: KeygenOptions): Promise<number> {
  if (options.name === '' || /[/\\]/.test(options.name)) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `--name "${options.name}" is not a file name; expected a name without "/" or "\\" (give the directory as the argument).`,
    );
  }
  if (!options.force) {
    // Check both first: a refusal must not leave a new private key beside an old public one.
    for (const path of [join(dir, `${options.name}.key`), join(dir, `${options.name}.pub`)]) {
      if (await exists(path)) {
        throw new ModelBundleError(
          'IO_ERROR',
          `"${path}" already exists; keys are never overwritten by default, since replacing a key loses the one that signed your bundles. Choose another directory or --name, or pass --force to replace it.`,
          { details: { path } },
        );
      }
    }
  }
  const files = await writeKeyPair(dir, { name: options.name, overwrite: options.force === true });
  if (options.json) {
    outJson({ privateKey: files.privateKeyPath, publicKey: files.publicKeyPath, fingerprint: files.fingerprint });
  } else {
    out(`Wrote ${files.privateKeyPath} (private: keep it secret) and ${files.publicKeyPath} (public: share it).`);
    out(`Fingerprint: ${files.fingerprint}`);
  }
  return 0;
}

/** Options of `modelbundle sign`. */
export interface SignOptions {
  key: string;
  output?: string;
  json?: boolean;
}

/**
 * Signs a bundle with a private key: in place (only the 128-byte prefix is
 * rewritten), or into a new file with -o (a copy, verified, then signed).
 * Every section is verified first, one at a time, whatever the file's size.
 */
export async function signCommand(file: string, options: SignOptions): Promise<number> {
  const writing = progressReporter('writing');
  const reading = progressReporter('reading');
  const onProgress = (done: number, total: number, step: 'copy' | 'check') => {
    if (step === 'check') writing.stop(); // the copy is done: one bar at a time
    (step === 'copy' ? writing : reading).onProgress(done, total);
  };
  const { fingerprint } = await signFile(file, options.key, { ...(options.output === undefined ? {} : { output: options.output }), onProgress }).finally(() => {
    writing.stop();
    reading.stop();
  });
  const target = options.output ?? file;
  if (options.json) outJson({ file, output: target, fingerprint });
  else out(`Signed ${target} with key ${fingerprint}.`);
  return 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
