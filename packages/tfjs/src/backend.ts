import { ModelBundleError } from '@modelbundle/core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { envVar, isNode } from '@modelbundle/core/internal';
import { nodeWasmDirectory } from './wasm-paths.js';

/** The environment variable that forces a backend: `tensorflow` (tfjs-node), `wasm` or `cpu`. */
export const BACKEND_ENV = 'MODELBUNDLE_TFJS_BACKEND';

/** Options for {@link ensureBackend} and {@link useBackend}. */
export interface BackendOptions {
  /** Force this backend (`tensorflow`, `wasm`, `cpu` or any registered name); overrides the environment variable. */
  backend?: string;
  /** Where the wasm backend finds its `.wasm` files (a folder prefix or URL), as for `setWasmPaths`. */
  wasmPaths?: string;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
let pending: Promise<string> | undefined;
let wasmPathsSet = false;

/**
 * Selects and readies a tfjs backend, once per process. The choice, in order:
 * `options.backend`, the `MODELBUNDLE_TFJS_BACKEND` environment variable, a
 * backend the application already set with `tf.setBackend`, then automatic:
 * `tensorflow` when `@tensorflow/tfjs-node` is installed, else `wasm`, else `cpu`.
 * Later calls return the same answer unless they force a backend.
 * @returns the name of the active backend.
 */
export function ensureBackend(options: BackendOptions = {}): Promise<string> {
  const forced = options.backend ?? envVar(BACKEND_ENV);
  if (forced) return useBackend(forced, options);
  pending ??= select(options).catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/**
 * Switches to backend `name` now (loading tfjs-node or the wasm binary when
 * needed). Throws INVALID_ARGUMENT when it cannot be used here.
 * @returns the name of the active backend.
 */
export async function useBackend(name: string, options: Omit<BackendOptions, 'backend'> = {}): Promise<string> {
  if (currentBackend() === name) return name;
  if (name === 'tensorflow' && !(await loadTfjsNode())) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The "tensorflow" backend was requested but ${TFJS_NODE} is not installed. Install it (npm install ${TFJS_NODE}) or choose "wasm" or "cpu" (option backend or ${BACKEND_ENV}).`,
    );
  }
  if (name === 'wasm') prepareWasm(options.wasmPaths);
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (cause) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The tfjs backend "${name}" failed to start: ${(cause as Error).message}. Choose another backend (wasm or cpu).`,
      { cause },
    );
  }
  if (!ok) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `The tfjs backend "${name}" is not available here. Registered backends: ${Object.keys(tf.engine().registryFactory).join(', ')}. Choose one of them with the backend option or ${BACKEND_ENV}.`,
    );
  }
  pending = Promise.resolve(name);
  return name;
}

/** The active backend's name, without starting one (undefined when none is set yet). */
export function currentBackend(): string | undefined {
  return (tf.engine() as unknown as { backendName: string | null }).backendName ?? undefined;
}

/**
 * True when the active backend copies the values a tensor is made from into
 * memory of its own at once (wasm, into its heap), so the caller may reuse
 * them; cpu, tfjs-node and webgl keep the array they are given.
 */
export function copiesWrittenValues(): boolean {
  return currentBackend() === 'wasm';
}

/**
 * On wasm, a function giving a view of a tensor's bytes where the backend
 * keeps them, in its heap (no copy). The view is valid only until the next
 * tfjs call (the heap may grow, or the memory be reused): copy out of it at
 * once. Undefined on other backends.
 */
export function heapReader(): ((tensor: tf.Tensor) => Uint8Array) | undefined {
  if (currentBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (info: tf.TensorInfo) => ArrayBufferView };
  if (typeof backend.typedArrayFromHeap !== 'function') return undefined;
  const fromHeap = backend.typedArrayFromHeap.bind(backend);
  return (tensor) => {
    const view = fromHeap(tensor);
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  };
}

async function select(options: BackendOptions): Promise<string> {
  const already = currentBackend();
  if (already) {
    await tf.ready();
    return already;
  }
  if (isNode() && (await loadTfjsNode()) && (await tf.setBackend('tensorflow').catch(() => false))) return 'tensorflow';
  prepareWasm(options.wasmPaths);
  if (await tf.setBackend('wasm').catch(() => false)) {
    await tf.ready();
    return 'wasm';
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/** Imports tfjs-node when installed; its import registers the `tensorflow` backend. */
async function loadTfjsNode(): Promise<boolean> {
  if (Object.hasOwn(tf.engine().registryFactory, 'tensorflow')) return true;
  if (!isNode()) return false;
  try {
    const name = TFJS_NODE; // a variable keeps bundlers from resolving the optional peer
    await import(/* @vite-ignore */ name);
    return Object.hasOwn(tf.engine().registryFactory, 'tensorflow');
  } catch {
    return false;
  }
}

function prepareWasm(paths: string | undefined): void {
  if (!Object.hasOwn(tf.engine().registryFactory, 'wasm')) return;
  if (paths !== undefined) {
    setWasmPaths(paths);
    wasmPathsSet = true;
    return;
  }
  if (wasmPathsSet || !isNode()) return;
  const dir = nodeWasmDirectory();
  if (dir) setWasmPaths(dir);
  wasmPathsSet = true;
}
