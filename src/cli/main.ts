import { TensorFlowRuntime } from '../runtime/tensorflow/tensorflow-runtime';
import { FlagError, parseFlags, refusedFlagError, unimplementedFlagWarnings, usage } from '../config/flags';
import { serverOptionsFromFlags } from '../config/server-options';
import { toServingError } from '../errors/serving-error';
import { log } from '../log/logger';
import { ModelServer } from '../server/model-server';
import { serverVersion } from '../config/server-version';

/** TF Serving exits with -1 (255) on bad flags and failed start-up. */
const EXIT_FAILURE = 255;

/**
 * From start until a stop is asked for, the process stays up whatever else holds the event loop: while
 * start-up waits for a version to settle only unref'd timers may be pending, and Node would otherwise
 * end with status 0 and no word. If the loop ever runs dry anyway, that is a fault: say so, exit non-zero.
 */
let keepAlive: NodeJS.Timeout | undefined;
function holdProcessOpen(): void {
  keepAlive = setInterval(() => undefined, 1 << 30);
  process.once('beforeExit', () => {
    log.error('fatal: the server has nothing left to run but was not told to stop; exiting');
    process.exit(EXIT_FAILURE);
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`${(err as FlagError).message}\n${usage()}\n`);
    return EXIT_FAILURE;
  }
  if (parsed.help) {
    process.stderr.write(`${usage()}\n`);
    return EXIT_FAILURE;
  }
  if (parsed.values.version) {
    // Loading the addon is what proves TensorFlow is linked; the version printed is the library's own.
    process.stdout.write(`TensorFlow ModelServer: ${serverVersion()}\nTensorFlow Library: ${TensorFlowRuntime.version()}\n`);
    return 0;
  }
  const refused = refusedFlagError(parsed);
  if (refused) {
    process.stderr.write(`${refused}\n`);
    return EXIT_FAILURE;
  }
  for (const w of unimplementedFlagWarnings(parsed)) log.warn(w);
  holdProcessOpen();

  // Listen for signals before anything starts, so one that arrives during start-up is not lost.
  const shutdown = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`Received ${signal}, shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

  let server: ModelServer | undefined;
  try {
    // A signal while models are still loading (or awaited) ends the process at once: nothing is
    // serving yet, so there is nothing to drain.
    server = await Promise.race([ModelServer.start(serverOptionsFromFlags(parsed.values)), shutdown.then(() => undefined)]);
  } catch (err) {
    process.stdout.write(`Failed to start server. Error: ${toServingError(err).toString()}\n`);
    return EXIT_FAILURE;
  }
  if (!server) return 0;
  await shutdown;
  await server.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    clearInterval(keepAlive);
    process.exit(code);
  },
  (err: unknown) => {
    log.error(`fatal: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(EXIT_FAILURE);
  },
);
