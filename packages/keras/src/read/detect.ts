import { ModelBundleError } from '@modelbundle/core';

/** What a file's first bytes say it is. */
export type KerasFileFormat = 'keras-zip' | 'hdf5' | 'json';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const LFS_POINTER = 'version https://git-lfs.github.com/spec/';

/**
 * The format of `bytes`, from its magic bytes alone (never its name): a zip
 * (`PK\x03\x04`, the native `.keras` file), the HDF5 signature (a legacy
 * `.h5` whole-model file, whatever it is named) or JSON (a tfjs model.json).
 * A Git LFS pointer, an empty file or anything else is refused with a reason.
 */
export function detectKerasFormat(bytes: Uint8Array): KerasFileFormat {
  if (bytes.byteLength === 0) {
    throw new ModelBundleError('MALFORMED', 'The Keras file is empty (0 bytes); give the .keras, .h5 or model.json file Keras or the tfjs converter wrote.');
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'keras-zip';
  if (HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) return 'hdf5';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 200));
  if (head.startsWith(LFS_POINTER)) {
    throw new ModelBundleError(
      'MALFORMED',
      'The file is a Git LFS pointer (a small text file that names the real model file), not the model itself. Fetch the real file with `git lfs pull` and import that.',
      { details: { found: 'git-lfs-pointer' } },
    );
  }
  const first = head.trimStart()[0];
  if (first === '{') return 'json';
  if (bytes.byteLength < 8 && (bytes[0] === 0x50 || bytes[0] === 0x89)) {
    throw new ModelBundleError('MALFORMED', `The file is only ${bytes.byteLength} bytes long: a truncated zip or HDF5 file. Copy the whole file again.`);
  }
  throw new ModelBundleError(
    'MALFORMED',
    'The file is not a Keras model: it starts neither with a zip header (a .keras file), nor with the HDF5 signature (a legacy .h5 file), nor with a JSON object (a tfjs model.json). Give the file model.save() wrote.',
    { details: { magic: Array.from(bytes.subarray(0, 8)) } },
  );
}
