import { spawn } from 'node:child_process';

/** Starts a bench server script as a child process; resolves once it prints its `{ "port": ... }` line. */
export function startServer(script, args) {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ proc, url: `http://127.0.0.1:${JSON.parse(line).port}` });
    });
    proc.on('exit', (code) => reject(new Error(`${args[0]} server exited with ${code}`)));
  });
}

/** Stops a server from {@link startServer} with SIGTERM and waits for it to exit. */
export function stopServer(server) {
  return new Promise((resolve) => {
    server.proc.removeAllListeners('exit');
    server.proc.once('exit', resolve);
    server.proc.kill('SIGTERM');
  });
}
