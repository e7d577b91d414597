import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { defaultRegistry, type KeyInput } from '@modelbundle/core';
import type { FastifyInstance } from 'fastify';
import type { ServerOptions } from './options.js';
import { createServer } from './server.js';

/**
 * What the server needs of a board: a `Board` of `@modelbundle/boards` (open one with
 * `openBoard('s3://models/prod')`). Only its shape is named here, so this package does
 * not depend on the boards package or the AWS SDK.
 */
export interface ModelBoard {
  /** Where the board lives, for `/metadata`. */
  readonly location: string;
  /** The version a reference names now. */
  resolve(name: string, ref: string): Promise<string>;
  /** A verified local copy of a version. */
  read(name: string, ref: string, options?: { trustedKeys?: readonly KeyInput[] }): Promise<{ path: string; headerDigest: string }>;
}

/** Options for {@link createBoardServer}: the server's own (less the model source) plus where the model lives. */
export type BoardServerOptions = Omit<ServerOptions, 'bundle' | 'path' | 'trustedKeys'> & {
  /** The board, opened with `openBoard` from `@modelbundle/boards`. */
  board: ModelBoard;
  /** The model's name on the board. */
  name: string;
  /** `latest`, a version id or an alias (default `latest`). */
  ref?: string;
  /** Follow `ref`: check it every this many seconds and swap to the version it names. Off when unset. */
  pollSeconds?: number;
  /** Serve only bundles signed by one of these keys. */
  trustedKeys?: readonly KeyInput[];
};

/** The version being served. */
export interface ServedVersion {
  board: string;
  name: string;
  ref: string;
  version: string;
  headerDigest: string;
}

/** A server that serves a model from a board and (with `pollSeconds`) follows its alias. */
export interface BoardServer {
  /** The Node HTTP server; call `listen` on it, or use {@link BoardServer.listen}. */
  server: Server;
  /** The version answering requests now. */
  current(): ServedVersion;
  /** Resolves `ref` again and swaps to its version when it moved. Resolves true when it swapped. Failures keep the old model and reject. */
  refresh(): Promise<boolean>;
  /** Listens on `host:port` and resolves with the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops polling and listening; requests in flight finish first. */
  close(): Promise<void>;
}

interface Slot {
  served: ServedVersion;
  app: FastifyInstance;
  inFlight: number;
  retired: boolean;
}

/**
 * Serves a model from a board: resolves `ref` once, downloads and verifies
 * the version (through the board's cache), and serves it with the same
 * endpoints as {@link createServer}; `GET /metadata` also reports the board,
 * name, resolved version and digest. With `pollSeconds`, a new version named
 * by `ref` is loaded next to the old one, then swapped in atomically: new
 * requests go to the new model, requests in flight finish on the old one,
 * which is then closed and disposed. A failed download, verification or
 * restore keeps the old model and is logged.
 */
export async function createBoardServer(options: BoardServerOptions): Promise<BoardServer> {
  const board = options.board;
  const ref = options.ref ?? 'latest';
  const registry = options.registry ?? defaultRegistry;
  const { board: _b, name: _n, ref: _r, pollSeconds: _p, trustedKeys, ...serverOptions } = options;

  const load = async (version: string): Promise<Slot> => {
    const read = await board.read(options.name, version, trustedKeys ? { trustedKeys } : {});
    const app = await createServer({ ...serverOptions, registry, path: read.path });
    await app.ready();
    return { served: { board: board.location, name: options.name, ref, version, headerDigest: read.headerDigest }, app, inFlight: 0, retired: false };
  };

  let slot = await load(await board.resolve(options.name, ref));
  const log = slot.app.log;

  const dispose = async (old: Slot) => {
    await old.app.close().catch(() => {}); // disposes its model
  };

  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const used = slot;
    used.inFlight++;
    res.once('close', () => {
      used.inFlight--;
      if (used.retired && used.inFlight === 0) void dispose(used);
    });
    if (req.method === 'GET' && (req.url === '/metadata' || req.url?.startsWith('/metadata?'))) {
      void used.app.inject({ method: 'GET', url: '/metadata', headers: req.headers as Record<string, string> }).then((inner) => {
        const body = inner.statusCode === 200 ? { ...JSON.parse(inner.body), board: used.served } : JSON.parse(inner.body);
        res.writeHead(inner.statusCode, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      });
      return;
    }
    used.app.routing(req, res);
  });

  let refreshing: Promise<boolean> | undefined;
  const refresh = () => {
    refreshing ??= (async () => {
      try {
        const version = await board.resolve(options.name, ref);
        if (version === slot.served.version) return false;
        const next = await load(version);
        const old = slot;
        slot = next;
        old.retired = true;
        if (old.inFlight === 0) void dispose(old);
        log.info({ name: options.name, ref, from: old.served.version, to: version }, 'switched to a new version');
        return true;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  };

  const timer =
    options.pollSeconds && options.pollSeconds > 0
      ? setInterval(() => {
          refresh().catch((error) =>
            log.warn(
              { err: error, name: options.name, ref, serving: slot.served.version },
              `keeping version ${slot.served.version}: ${(error as Error).message}`,
            ),
          );
        }, options.pollSeconds * 1000)
      : undefined;
  timer?.unref();

  return {
    server,
    current: () => slot.served,
    refresh,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          const actual = typeof address === 'object' && address ? address.port : port;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
        });
      }),
    close: async () => {
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await dispose(slot);
    },
  };
}
