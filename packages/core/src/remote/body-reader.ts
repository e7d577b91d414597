/**
 * Reads a response body a chunk at a time and keeps only what was asked
 * for, so a caller that needs the first bytes of a large download can stop
 * early and cancel the rest instead of receiving it.
 */
export class BodyReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #chunks: Uint8Array[] = [];
  #length = 0;
  #done: boolean;

  constructor(body: ReadableStream<Uint8Array> | null) {
    this.#reader = body?.getReader();
    this.#done = this.#reader === undefined;
  }

  /** Bytes received so far. */
  get received(): number {
    return this.#length;
  }

  /** True once the body has ended (no more bytes will come). */
  get ended(): boolean {
    return this.#done;
  }

  /** Reads until at least `count` bytes have arrived or the body ends; returns everything received so far. */
  async fill(count: number): Promise<Uint8Array> {
    while (this.#length < count && !this.#done && this.#reader) {
      const { done, value } = await this.#reader.read();
      if (done) this.#done = true;
      else if (value.byteLength > 0) {
        this.#chunks.push(value);
        this.#length += value.byteLength;
      }
    }
    return this.bytes();
  }

  /** Everything received so far, as one buffer. */
  bytes(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const joined = new Uint8Array(this.#length);
      let pos = 0;
      for (const chunk of this.#chunks) {
        joined.set(chunk, pos);
        pos += chunk.byteLength;
      }
      this.#chunks = [joined];
    }
    return this.#chunks[0] as Uint8Array;
  }

  /** Stops the download: the rest of the body is never transferred. Safe to call more than once. */
  async cancel(): Promise<void> {
    if (this.#done || !this.#reader) return;
    this.#done = true;
    await this.#reader.cancel().catch(() => {});
  }
}
