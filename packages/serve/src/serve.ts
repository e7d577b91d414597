import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ModelBundleError } from '@modelbundle/core';
import type { FastifyInstance } from 'fastify';
import type { ServerOptions } from './options.js';
import { createServer } from './server.js';

/** Options for {@link serve}: the server's plus where to listen. */
export type ServeOptions = ServerOptions & {
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Interface (default 127.0.0.1, this machine only; 0.0.0.0 for all, e.g. in a container). */
  host?: string;
  /** Signals that shut the server down gracefully (default SIGTERM and SIGINT); `false` installs no handler. */
  signals?: readonly NodeJS.Signals[] | false;
  /** Called once after a signal-triggered shutdown has finished (e.g. to end the process). */
  onShutdown?: () => void;
};

/** A listening server. */
export interface RunningServer {
  app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:8080` (`https://` with TLS). */
  url: string;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

/**
 * Creates the server for a bundle and listens. On SIGTERM (or SIGINT) it
 * stops accepting connections, lets requests in flight finish, then closes,
 * so the process can end with code 0.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const app = await createServer(options);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ port: options.port ?? 8080, host });
  } catch (error) {
    await app.close();
    throw listenError(error, host, options.port ?? 8080);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const signals = options.signals === false ? [] : (options.signals ?? ['SIGTERM', 'SIGINT']);
  const endQuietSockets = trackSockets(app, options.tls !== undefined);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const signal of signals) process.off(signal, onSignal);
      const closed = app.close();
      endQuietSockets();
      await closed;
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    close().then(
      () => options.onShutdown?.(),
      (error) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
        options.onShutdown?.();
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return { app, url, close };
}

/**
 * Connections with no request in flight, ended at shutdown. Node's own idle
 * check misses sockets that never sent a request (browsers open spare ones
 * ahead of time), which would hold shutdown until their timeout. A socket
 * whose request is in flight is ended when its response has gone.
 */
function trackSockets(app: FastifyInstance, tls: boolean): () => void {
  const sockets = new Map<Socket, number>();
  let ending = false;
  app.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, left);
      if (ending && left === 0) socket.end();
    });
  });
  return () => {
    ending = true;
    for (const [socket, inFlight] of sockets) if (inFlight === 0) socket.destroy();
  };
}

/** Port taken or not allowed: say so and what to do, instead of a bare errno. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges this process lacks' : 'is not an address of this machine';
    return new ModelBundleError(
      'IO_ERROR',
      `Cannot listen on ${host}:${port}: the ${code === 'EADDRNOTAVAIL' ? 'host' : 'port'} ${why}. Pick another port (or 0 for any free one) or host.`,
      {
        cause: error,
        details: { host, port, errno: code },
      },
    );
  }
  return error;
}
