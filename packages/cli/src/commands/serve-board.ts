import type { BoardModelRef } from '@modelbundle/boards';
import { createBoardServer, type LogLevel, type ServerTuning } from '@modelbundle/serve';
import { cliBoard } from '../board-ref.js';
import { out } from '../output.js';
import { cliRegistry } from '../registry.js';
import { readTrustedKeys } from '../trust.js';

/** The `serve` options that apply to a model on a board. */
export interface ServeBoardOptions {
  port: number;
  host: string;
  logLevel: LogLevel;
  bodyLimit?: number;
  maxRows?: number;
  requestTimeout?: number;
  publicKey?: string[];
  /** Follow the reference every this many seconds. */
  poll?: number;
  endpoint?: string;
  /** Everything else the server takes (CORS, auth, TLS, batching, unseen levels, logging), from the serve settings. */
  tuning?: ServerTuning;
}

/** `modelbundle serve <board>/<name>@<ref>`: resolve, download, verify, serve; with --poll, follow the reference. */
export async function serveBoardCommand(ref: BoardModelRef, options: ServeBoardOptions): Promise<number> {
  const keys = await readTrustedKeys(options.publicKey);
  const board = await cliBoard(ref.board, options.endpoint ? { endpoint: options.endpoint } : {});
  const header = (await board.meta(ref.name, ref.ref)).header;
  const running = await createBoardServer({
    board,
    name: ref.name,
    ref: ref.ref,
    registry: await cliRegistry(header),
    ...options.tuning,
    logLevel: options.logLevel,
    ...(keys ? { trustedKeys: keys } : {}),
    ...(options.poll ? { pollSeconds: options.poll } : {}),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
  });
  const url = await running.listen(options.port, options.host);
  const stop = () => {
    running.close().then(
      () => process.exit(process.exitCode ?? 0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const served = running.current();
  out(`Serving ${ref.board}/${ref.name}@${ref.ref} (version ${served.version}, digest ${served.headerDigest}) at ${url}`);
  if (options.poll) out(`Following ${ref.ref} every ${options.poll} s`);
  return 0;
}
