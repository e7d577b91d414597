import { cpus, freemem, loadavg, totalmem } from 'node:os';

/** What the record needs to be read fairly: CPU, memory, Node, load at the time. */
export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  };
}
