/**
 * Records the largest single ArrayBuffer / typed array allocation while
 * armed, by wrapping the global constructors. The fuzzer arms it around each
 * target to check that a reader never allocates more than its input justifies.
 */
let armed = false;
let largest = 0;

function track(args: unknown[]): void {
  if (armed && typeof args[0] === 'number' && args[0] > largest) largest = args[0];
}

let installed = false;

export function installAllocationGuard(): void {
  if (installed) return;
  installed = true;
  for (const name of ['ArrayBuffer', 'Uint8Array', 'Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'SharedArrayBuffer'] as const) {
    const original = globalThis[name] as unknown as new (...args: unknown[]) => unknown;
    const bytesPer = (original as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    (globalThis as Record<string, unknown>)[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        if (typeof args[0] === 'number') track([args[0] * bytesPer]);
        return Reflect.construct(target, args, newTarget === (globalThis as Record<string, unknown>)[name] ? target : newTarget);
      },
    });
  }
}

/** Runs `work` and reports the largest allocation it made. */
export async function measureAllocation<T>(work: () => Promise<T>): Promise<{ largest: number; result: PromiseSettledResult<T> }> {
  armed = true;
  largest = 0;
  try {
    const value = await work();
    return { largest, result: { status: 'fulfilled', value } };
  } catch (reason) {
    return { largest, result: { status: 'rejected', reason } };
  } finally {
    armed = false;
  }
}
