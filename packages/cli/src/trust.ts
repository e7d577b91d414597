import { readPublicKey } from '@modelbundle/core/node';

/** Collects a repeatable option (`--public-key a --public-key b`) into a list. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** Trusted public keys, read from `--public-key` files before any bundle is read; `undefined` when none was given. */
export async function readTrustedKeys(paths: readonly string[] | undefined): Promise<CryptoKey[] | undefined> {
  if (!paths || paths.length === 0) return undefined;
  return Promise.all(paths.map((path) => readPublicKey(path)));
}
