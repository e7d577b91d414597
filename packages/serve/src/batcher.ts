/** Predicts a list of rows with one prediction type (undefined: the model's default). */
export type PredictFn = (rows: readonly unknown[], type: string | undefined) => Promise<Record<string, unknown>[]>;

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Most rows in one model call; a single larger request still runs, alone. */
  maxRows: number;
  /** How long an idle model waits for more requests before it predicts (0: only those that arrived together). */
  maxWaitMs: number;
  /** Called after every model call with its request and row counts (for metrics). */
  onBatch?: (requests: number, rows: number) => void;
}

interface Pending {
  rows: readonly unknown[];
  resolve: (predictions: Record<string, unknown>[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Adaptive batching, as TensorFlow Serving's and BentoML's batchers do:
 * requests that arrive while the model is busy (or within `maxWaitMs` of
 * each other while it is idle) are joined into one model call of at most
 * `maxRows` rows, and each gets its own slice of the predictions back. Under
 * light load a request runs at once; under heavy load batches grow by
 * themselves. One model call runs at a time per prediction type.
 *
 * When a joined call fails, each of its requests is predicted again alone,
 * so one bad request never fails the others.
 */
export class Batcher {
  private readonly queues = new Map<string, { pending: Pending[]; busy: boolean; cancelTimer?: () => void }>();

  constructor(
    private readonly predict: PredictFn,
    private readonly options: BatcherOptions,
  ) {}

  /** Predicts `rows` as part of the next batch of their prediction type. */
  submit(rows: readonly unknown[], type: string | undefined): Promise<Record<string, unknown>[]> {
    const key = type ?? '';
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { pending: [], busy: false };
      this.queues.set(key, queue);
    }
    const result = new Promise<Record<string, unknown>[]>((resolve, reject) => queue.pending.push({ rows, resolve, reject }));
    if (queue.busy) return result;
    const queued = queue.pending.reduce((n, p) => n + p.rows.length, 0);
    if (queued >= this.options.maxRows) void this.run(key, type);
    else if (queue.cancelTimer === undefined) {
      if (this.options.maxWaitMs > 0) {
        const timer = setTimeout(() => void this.run(key, type), this.options.maxWaitMs);
        queue.cancelTimer = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(() => void this.run(key, type));
        queue.cancelTimer = () => clearImmediate(immediate);
      }
    }
    return result;
  }

  private async run(key: string, type: string | undefined): Promise<void> {
    const queue = this.queues.get(key);
    if (!queue || queue.busy) return;
    queue.cancelTimer?.();
    queue.cancelTimer = undefined;
    const batch = this.take(queue.pending);
    if (batch.length === 0) return;
    queue.busy = true;
    try {
      await this.predictBatch(batch, type);
    } finally {
      queue.busy = false;
      // Requests that came while the model was busy have waited long enough: predict them now.
      if (queue.pending.length > 0) void this.run(key, type);
    }
  }

  /** The oldest requests whose rows fit in one call (always at least one). */
  private take(pending: Pending[]): Pending[] {
    let rows = 0;
    let count = 0;
    while (count < pending.length && (count === 0 || rows + pending[count]!.rows.length <= this.options.maxRows)) {
      rows += pending[count]!.rows.length;
      count++;
    }
    return pending.splice(0, count);
  }

  private async predictBatch(batch: Pending[], type: string | undefined): Promise<void> {
    const rows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((p) => p.rows);
    let predictions: Record<string, unknown>[];
    try {
      predictions = await this.predict(rows, type);
      this.options.onBatch?.(batch.length, rows.length);
    } catch (error) {
      if (batch.length === 1) {
        this.options.onBatch?.(1, rows.length);
        batch[0]!.reject(error);
        return;
      }
      // Someone's rows broke the joined call: find out whose, by predicting each request alone.
      for (const pending of batch) await this.predictBatch([pending], type);
      return;
    }
    if (predictions.length !== rows.length) {
      const error = new Error(`the model returned ${predictions.length} predictions for ${rows.length} rows`);
      for (const pending of batch) pending.reject(error);
      return;
    }
    let start = 0;
    for (const pending of batch) {
      pending.resolve(predictions.slice(start, start + pending.rows.length));
      start += pending.rows.length;
    }
  }
}
