import { nodeBuiltin } from '@modelbundle/core/internal';

const WASM_FILE = '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm';

/**
 * The folder holding the wasm backend's `.wasm` files in Node, resolved from
 * node_modules rather than from the location of the JavaScript that loads
 * them: that location is wrong once the code is bundled.
 */
export function nodeWasmDirectory(): string | undefined {
  const moduleApi = nodeBuiltin<{ createRequire(url: string): { resolve(id: string): string } }>('module');
  if (!moduleApi) return undefined;
  try {
    const file = moduleApi.createRequire(import.meta.url).resolve(WASM_FILE);
    return file.slice(0, file.length - 'tfjs-backend-wasm.wasm'.length);
  } catch {
    return undefined;
  }
}
