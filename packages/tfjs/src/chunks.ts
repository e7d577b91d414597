/**
 * Reads byte ranges across a list of buffers (tfjs `WeightData` may be one
 * buffer or several). tfjs's own CompositeArrayBuffer returns zeros for
 * some ranges in 4.22, so it is not used.
 */
export class ChunkReader {
  readonly #chunks: Uint8Array[];
  readonly #starts: number[] = [];
  readonly byteLength: number;

  constructor(data: ArrayBuffer | ArrayBuffer[] | Uint8Array[]) {
    const list = Array.isArray(data) ? data : [data];
    this.#chunks = list.map((c) => (c instanceof Uint8Array ? c : new Uint8Array(c)));
    let total = 0;
    for (const chunk of this.#chunks) {
      this.#starts.push(total);
      total += chunk.byteLength;
    }
    this.byteLength = total;
  }

  /** Bytes [start, end) without a copy when they lie in one chunk (the usual case: one chunk per tensor), else {@link slice}. */
  view(start: number, end: number): Uint8Array {
    const i = this.#chunkAt(start);
    const chunk = this.#chunks[i];
    const from = this.#starts[i] as number;
    if (chunk && end <= from + chunk.byteLength) return chunk.subarray(start - from, end - from);
    return this.slice(start, end);
  }

  /** The last chunk starting at or before `position` (binary search: a model of many tensors has as many chunks). */
  #chunkAt(position: number): number {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#starts[mid] as number) <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** A new buffer holding bytes [start, end). */
  slice(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    let written = 0;
    for (const [i, chunk] of this.#chunks.entries()) {
      const from = this.#starts[i] as number;
      const to = from + chunk.byteLength;
      if (to <= start || from >= end) continue;
      const piece = chunk.subarray(Math.max(start, from) - from, Math.min(end, to) - from);
      out.set(piece, written);
      written += piece.byteLength;
    }
    return out;
  }
}
