import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { addBoardCommands } from './commands/board.js';
import { dockerCommand } from './commands/docker.js';
import { importCommand } from './commands/import.js';
import { inspectCommand } from './commands/inspect.js';
import { pluginsCommand } from './commands/plugins.js';
import { type PredictOptions, predictCommand } from './commands/predict.js';
import { type ServeCommandOptions, serveCommand } from './commands/serve.js';
import { type KeygenOptions, keygenCommand, type SignOptions, signCommand } from './commands/signing.js';
import { exportCommand } from './commands/tfjs-files.js';
import { type VerifyOptions, verifyCommand } from './commands/verify.js';
import { reportError, USAGE_EXIT } from './errors.js';
import { cliVersion } from './installed.js';
import { setAutoload } from './registry.js';
import { collect } from './trust.js';

type Action = () => Promise<number>;

/**
 * Runs the command line on `argv` (as in `process.argv`) and resolves to the
 * exit code: 0 on success, 2 on wrong usage, otherwise the exit code of the
 * failure's code in ErrorCodes. `serve` resolves once listening.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let action: { run: Action; json: boolean } | undefined;
  const program = buildProgram((run, json) => {
    action = { run, json };
  });
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_EXIT;
    throw error;
  }
  if (!action) return 0;
  try {
    return await action.run();
  } catch (error) {
    return reportError(error, action.json);
  }
}

/** The commander program; each action hands its work to `schedule` so errors are reported in one place. */
export function buildProgram(schedule: (run: Action, json: boolean) => void): Command {
  const program = new Command('modelbundle')
    .description('Inspect, verify, predict with, convert and serve modelbundle bundles.')
    .version(cliVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('inspect')
    .description('Describe a bundle from its header alone (fast for any file size).')
    .argument('<file>', 'bundle file')
    .option('--json', 'print a JSON document (see docs/guides/cli.md)')
    .option('--strict', 'exit 18 when installed packages do not satisfy the bundle’s requirements')
    .action((file: string, opts: { json?: boolean; strict?: boolean }) => schedule(() => inspectCommand(file, opts), opts.json === true));

  program
    .command('verify')
    .description(
      'Check every digest of a bundle, and its signature with --public-key; exit 0 when intact, else the failure’s code (12 damaged, 11 truncated, 19 signature, ...).',
    )
    .argument('<file>', 'bundle file')
    .option('--public-key <path>', 'require a signature by this public key (repeat to trust several)', collect)
    .option('--json', 'print a JSON document (see docs/guides/cli.md)')
    .action((file: string, opts: VerifyOptions) => schedule(() => verifyCommand(file, opts), opts.json === true));

  program
    .command('keygen')
    .description('Make an Ed25519 key pair for signing bundles: <name>.key (private, mode 0600) and <name>.pub.')
    .argument('[dir]', 'directory to write the keys into', '.')
    .option('-n, --name <name>', 'file name of the keys, without extension', 'modelbundle')
    .option('-f, --force', 'replace existing key files')
    .option('--json', 'print a JSON document')
    .action((dir: string, opts: KeygenOptions) => schedule(() => keygenCommand(dir, opts), opts.json === true));

  program
    .command('sign')
    .description('Sign a bundle with a private key, in place (only the prefix is rewritten) or into a new file.')
    .argument('<file>', 'bundle file')
    .requiredOption('-k, --key <path>', 'private key file (from modelbundle keygen)')
    .option('-o, --output <file>', 'write the signed bundle here and leave <file> as it is')
    .option('--json', 'print a JSON document')
    .action((file: string, opts: SignOptions) => schedule(() => signCommand(file, opts), opts.json === true));

  program
    .command('predict')
    .description('Restore a bundle and predict rows from a JSON or CSV file, or stdin.')
    .argument('<file>', 'bundle file')
    .requiredOption(
      '-i, --input <path>',
      'rows: a .json file (an array of rows, {"instances": ...}, {"inputs": ...}, {"dataframe_split": ...} or {"dataframe_records": ...}), a .csv file with a heading, or - for stdin',
    )
    .option('-t, --type <type>', 'prediction type, e.g. numeric, class or prob (default: the model’s first)')
    .addOption(new Option('--format <format>', 'input format, when the extension does not tell').choices(['json', 'csv']))
    .option('--public-key <path>', 'refuse the bundle unless this public key signed it (repeat to trust several)', collect)
    .option('-o, --output <file>', 'write the predictions to this file: JSON when it ends in .json, else CSV')
    .addOption(
      new Option('--unseen-levels <policy>', 'a value that is not one of its column’s levels: error (default) or zero (predict, warn)').choices([
        'error',
        'zero',
      ]),
    )
    .option('--json', 'print {"predictions": [...]} instead of CSV')
    .option('--no-autoload', 'never import a plugin package the command line does not ship')
    .action((file: string, opts: PredictOptions & { autoload?: boolean }) =>
      schedule(() => {
        setAutoload(opts.autoload !== false);
        return predictCommand(file, opts);
      }, opts.json === true),
    );

  program
    .command('export')
    .description('Write a bundle in another format: tfjs gives model.json + weight shards for tf.loadLayersModel.')
    .argument('<file>', 'bundle file')
    .argument('<dir>', 'output directory')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['tfjs']).makeOptionMandatory())
    .option('--json', 'print a JSON document')
    .action((file: string, dir: string, opts: { format: string; json?: boolean }) => schedule(() => exportCommand(file, dir, opts), opts.json === true));

  program
    .command('import')
    .description('Make a bundle from a Keras .keras or .h5 file or a TensorFlow.js model folder, told apart by their bytes.')
    .argument('<file or folder>', 'a .keras / .h5 file, a tfjs model.json, or the folder holding it')
    .requiredOption('-o, --output <file>', 'bundle file to write')
    .option('--json', 'print a JSON document')
    .action((modelJson: string, opts: { output: string; json?: boolean }) => schedule(() => importCommand(modelJson, opts), opts.json === true));

  program
    .command('serve')
    .description(
      'Serve a bundle over HTTP: POST /predict and /invocations, GET /healthz, /readyz, /version, /metrics, /metadata, /prototype, /openapi.json and docs at /. Every option can also be set by its MODELBUNDLE_* variable.',
    )
    .argument('<file>', 'bundle file')
    .option('-p, --port <port>', 'port, 0 picks a free one (MODELBUNDLE_PORT; default 8080)', parsePort)
    .option('-H, --host <host>', 'interface to listen on, 0.0.0.0 for all (MODELBUNDLE_HOST; default 127.0.0.1)')
    .addOption(
      new Option('--log-level <level>', 'request log level (MODELBUNDLE_LOG_LEVEL; default info)').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
        'silent',
      ]),
    )
    .option(
      '--body-limit <bytes>',
      'largest request body in bytes (MODELBUNDLE_BODY_LIMIT; default: max rows of the widest row, at least 1 MiB)',
      parsePositiveInt,
    )
    .option('--max-rows <n>', 'most rows in one predict request (MODELBUNDLE_MAX_ROWS; default 10000)', parsePositiveInt)
    .option('--request-timeout <ms>', 'time a client has to send a whole request (MODELBUNDLE_REQUEST_TIMEOUT; default 30000)', parsePositiveInt)
    .addOption(
      new Option('--unseen-levels <policy>', 'a value outside its column’s levels: error (400) or zero (predict, warn) (MODELBUNDLE_UNSEEN_LEVELS)').choices([
        'error',
        'zero',
      ]),
    )
    .option(
      '--batch-max-rows <n>',
      'most rows per model call when joining concurrent requests; 0 turns batching off (MODELBUNDLE_BATCH_MAX_ROWS; default 512)',
      parseWholeNumber,
    )
    .option('--batch-max-wait-ms <ms>', 'longest wait for more requests to join a batch (MODELBUNDLE_BATCH_MAX_WAIT_MS; default 0)', parseWholeNumber)
    .option('--cors-origin <origin>', 'allow browser calls from this origin, * for any (repeat; MODELBUNDLE_CORS_ORIGINS, comma-separated)', collect)
    .option(
      '--auth-token-file <path>',
      'require "Authorization: Bearer <token>", tokens one per line in this file (MODELBUNDLE_AUTH_TOKEN_FILE; or MODELBUNDLE_AUTH_TOKEN)',
    )
    .addOption(
      new Option('--auth-scope <scope>', 'routes that need the token: predict (default) or all but /healthz and /readyz (MODELBUNDLE_AUTH_SCOPE)').choices([
        'predict',
        'all',
      ]),
    )
    .option('--tls-key <path>', 'TLS private key (PEM); with --tls-cert the server speaks HTTPS (MODELBUNDLE_TLS_KEY)')
    .option('--tls-cert <path>', 'TLS certificate (PEM) (MODELBUNDLE_TLS_CERT)')
    .option('--public-key <path>', 'refuse the bundle unless this public key signed it (repeat to trust several)', collect)
    .option('--no-autoload', 'never import a plugin package the command line does not ship')
    .option('--poll <seconds>', 'for <board>/<name>@<ref>: follow the reference and swap to the version it names', parsePositiveInt)
    .option('--endpoint <url>', 'S3 endpoint for an s3:// board (default AWS_ENDPOINT_URL)')
    .action((file: string, opts: ServeCommandOptions & { autoload?: boolean }) =>
      schedule(() => {
        setAutoload(opts.autoload !== false);
        return serveCommand(file, opts);
      }, false),
    );
  program
    .command('plugins')
    .description('Say which plugin package restoring a bundle would use, and the exact file autoload would import, without importing anything.')
    .argument('<file>', 'bundle file')
    .option('--no-autoload', 'report as predict and serve would with --no-autoload')
    .option('--json', 'print a JSON document')
    .action((file: string, opts: { json?: boolean; autoload?: boolean }) => schedule(() => pluginsCommand(file, opts), opts.json === true));

  program
    .command('docker')
    .description('Write a deployment directory: Dockerfile, pinned package.json, server entry and the bundle.')
    .argument('<file>', 'bundle file')
    .argument('<dir>', 'output directory')
    .option('-p, --port <port>', 'port the container listens on', parsePort, 8080)
    .option('-f, --force', 'write into a folder that already holds files')
    .option('--plugin <package>', 'a plugin package (name or name@version) you trust the image to install and register (repeat for several)', collect)
    .option('--json', 'print a JSON document')
    .action((file: string, dir: string, opts: { port: number; force?: boolean; json?: boolean; plugin?: string[] }) =>
      schedule(() => dockerCommand(file, dir, opts), opts.json === true),
    );

  addBoardCommands(program, schedule);

  for (const command of program.commands) command.helpOption('-h, --help', 'show help').showHelpAfterError('(run with --help for usage)');
  return program;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return port;
}

function parseWholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number (0 or more).');
  return n;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}
