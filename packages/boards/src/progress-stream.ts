import { Transform } from 'node:stream';

/**
 * A pass-through stream that reports the bytes that went through it. Unlike
 * a 'data' listener on the source, it does not switch the source to flowing
 * mode, so a consumer that attaches late (an HTTP client waiting for
 * `100 Continue`) loses nothing.
 */
export function countingStream(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}
