/**
 * Node built-ins reached without an import statement, so the main entry stays
 * browser-safe: `process.getBuiltinModule` exists in Node >= 20.16 and is
 * absent in browsers, where the caller falls back.
 */
export function nodeBuiltin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/** Emits a warning: a Node process warning with a code, or console.warn elsewhere. */
export function emitWarning(message: string, code: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { code: string }) => void } }).process;
  if (proc?.emitWarning) proc.emitWarning(message, { code });
  else console.warn(`[${code}] ${message}`);
}

/** An environment variable in Node, undefined elsewhere (and when empty). */
export function envVar(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** True in Node (not in a browser or worker). */
export function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

/** True while a process with this id runs (EPERM: it runs, as another user). Node only. */
export function isProcessAlive(pid: number): boolean {
  try {
    globalThis.process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}
