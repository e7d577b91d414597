import { createHash, timingSafeEqual } from 'node:crypto';
import { ModelBundleError } from '@modelbundle/core';

/**
 * Checks `Authorization: Bearer <token>` against the accepted tokens in
 * constant time: both sides are hashed to 32 bytes first (so lengths leak
 * nothing) and every token is compared, match or not. Tokens are kept only
 * as digests and never appear in logs or errors.
 */
export function bearerCheck(tokens: readonly string[]): (header: string | undefined) => void {
  const digests = tokens.map((token) => digest(token));
  if (digests.length === 0) throw new ModelBundleError('INVALID_ARGUMENT', 'Authentication needs at least one token; none was given.');
  return (header) => {
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    const given = digest(match?.[1] ?? '');
    let ok = false;
    for (const expected of digests) ok = timingSafeEqual(given, expected) || ok;
    if (!match || !ok) {
      throw new ModelBundleError(
        'UNAUTHORIZED',
        header === undefined
          ? 'This endpoint needs a bearer token; send the header "Authorization: Bearer <token>".'
          : 'The bearer token is not valid; send "Authorization: Bearer <token>" with a token the server accepts.',
      );
    }
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
