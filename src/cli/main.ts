import { TensorFlowRuntime } from '../runtime/tensorflow/tensorflow-runtime';
import { FlagError, parseFlags, unimplementedFlagWarnings, usage } from '../config/flags';
import { serverOptionsFromFlags } from '../config/server-options';
import { toServingError } from '../errors/serving-error';
import { log } from '../log/logger';
import { ModelServer } from '../server/model-server';
import { serverVersion } from './version';

/** TF Serving exits with -1 (255) on bad flags and failed start-up. */
const EXIT_FAILURE = 255;

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
  for (const w of unimplementedFlagWarnings(parsed)) log.warn(w);

  // Listen for signals before anything starts, so one that arrives during start-up is not lost.
  const shutdown = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`Received ${signal}, shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

  let server: ModelServer;
  try {
    server = await ModelServer.start(serverOptionsFromFlags(parsed.values));
  } catch (err) {
    process.stdout.write(`Failed to start server. Error: ${toServingError(err).toString()}\n`);
    return EXIT_FAILURE;
  }
  await shutdown;
  await server.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.error(`fatal: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(EXIT_FAILURE);
  },
);
