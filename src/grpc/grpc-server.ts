import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import http2 = require('node:http2');
import * as net from 'node:net';
import { SslOptions } from '../config/ssl-config';
import { log } from '../log/logger';
import { ConnectionAgeOptions, GrpcConnections } from './grpc-connections';

/** TF Serving lets messages up to INT32_MAX through; grpc-js would otherwise stop at 4 MB. */
export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;

/** Server arguments grpc-js understands; others in --grpc_channel_arguments are ignored with a warning. */
const KNOWN_ARGUMENTS = new Set([
  'grpc.max_receive_message_length',
  'grpc.max_send_message_length',
  'grpc.max_concurrent_streams',
  'grpc.keepalive_time_ms',
  'grpc.keepalive_timeout_ms',
  'grpc.keepalive_permit_without_calls',
  'grpc.http2.max_ping_strikes',
  'grpc.http2.min_ping_interval_without_data_ms',
  'grpc.max_connection_idle_ms',
  'grpc.enable_channelz',
  'grpc.server_call_metric_recording',
  'grpc-node.max_session_memory',
  'grpc-node.tls_enable_trace',
]);

export interface GrpcServiceSet {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface GrpcListenOptions {
  port: number;
  /** Interface address for the TCP port (0.0.0.0 = all, as TF Serving). */
  bindAddress: string;
  socketPath: string;
  channelArguments: Record<string, string | number>;
  /** --ssl_config_file: TLS (and with clientVerify, mutual TLS) on every gRPC listener. */
  ssl?: SslOptions;
  /** A listening TCP socket (a front-end thread's share of the port) used instead of binding `port`. */
  fd?: number;
}

function credentials(ssl: SslOptions | undefined): grpc.ServerCredentials {
  if (!ssl) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    ssl.customCa ? Buffer.from(ssl.customCa) : null,
    [{ private_key: Buffer.from(ssl.serverKey), cert_chain: Buffer.from(ssl.serverCert) }],
    ssl.clientVerify,
  );
}

/** Connection ageing is ours (GrpcConnections), so these two never reach grpc-js. */
const AGE_ARGUMENTS = { maxAgeMs: 'grpc.max_connection_age_ms', graceMs: 'grpc.max_connection_age_grace_ms' } as const;

function serverOptions(args: Record<string, string | number>): grpc.ServerOptions {
  const opts: Record<string, string | number> = {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  };
  for (const [k, v] of Object.entries(args)) if (KNOWN_ARGUMENTS.has(k)) opts[k] = v;
  return opts as grpc.ServerOptions;
}

/** One warning per --grpc_channel_arguments entry that neither grpc-js nor we act on (logged once per process). */
export function warnUnsupportedChannelArguments(args: Record<string, string | number>): void {
  const ours = new Set<string>(Object.values(AGE_ARGUMENTS));
  for (const k of Object.keys(args)) {
    if (!KNOWN_ARGUMENTS.has(k) && !ours.has(k)) log.warn(`gRPC channel argument ${k} is not supported by this server and is ignored`);
  }
}

function ageOptions(args: Record<string, string | number>): ConnectionAgeOptions {
  const out: ConnectionAgeOptions = {};
  for (const [field, name] of Object.entries(AGE_ARGUMENTS) as [keyof ConnectionAgeOptions, string][]) {
    const ms = Number(args[name]);
    // gRPC reads INT_MAX (and anything not positive) as "no limit".
    if (name in args && Number.isFinite(ms) && ms > 0 && ms < 2 ** 31 - 1) out[field] = ms;
  }
  return out;
}

/**
 * HTTP/2 flow-control windows for incoming requests. Node's default (64 KiB per stream and per
 * connection) lets a client send only 64 KiB before waiting for the server's event loop to grant more,
 * which capped tensor uploads near 60 MB/s on one connection. grpc-js has no server option for it, so
 * the listener is created with larger windows (gRPC's C++ core, which TF Serving uses, sizes its
 * windows by bandwidth-delay probing instead).
 */
const STREAM_WINDOW_BYTES = 8 * 1024 * 1024;
const CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;

/** How long a connection may stay idle before opening its first stream. */
const STREAMLESS_SESSION_MS = 2000;

type Listener = http2.Http2Server | http2.Http2SecureServer;
type Factory = (options: http2.SecureServerOptions, handler?: unknown) => Listener;

/** Larger windows, no lingering broken connections, and graceful closes on every listener grpc-js creates. */
function tuneListener(listener: Listener, connections: GrpcConnections): Listener {
  connections.trackListener(listener);
  listener.on('session', (session: http2.ServerHttp2Session) => {
    connections.track(session);
    try {
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    } catch {
      // A session that closed at once has no window to set.
    }
    // After a protocol error Node sends GOAWAY but stops reading the socket and never closes it
    // (CLOSE-WAIT forever once the peer leaves, with no event to notice it): malformed clients could
    // exhaust file descriptors. A connection that has not opened a stream within a short while is
    // therefore closed; one that has is left alone (real gRPC clients connect to make a call).
    session.setTimeout(STREAMLESS_SESSION_MS, () => session.destroy());
    session.once('stream', () => session.setTimeout(0));
  });
  return listener;
}

/**
 * Runs `create` with http2's server factories temporarily wrapped by tuneListener, so every listener
 * grpc-js creates meanwhile gets our windows and connection tracking.
 */
async function withTunedFactories<T>(connections: GrpcConnections, create: () => Promise<T>): Promise<T> {
  // The module object itself (not an ES namespace), which grpc-js reads the factories from.
  const mod = http2 as unknown as { createServer: Factory; createSecureServer: Factory };
  const originals = { createServer: mod.createServer, createSecureServer: mod.createSecureServer };
  for (const name of ['createServer', 'createSecureServer'] as const) {
    const original = originals[name];
    mod[name] = (options, handler) =>
      tuneListener(original({ ...options, settings: { ...options?.settings, initialWindowSize: STREAM_WINDOW_BYTES } }, handler), connections);
  }
  try {
    return await create();
  } finally {
    Object.assign(mod, originals);
  }
}

/** Binds an address; grpc-js creates the listener asynchronously during bindAsync. */
function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials, connections: GrpcConnections): Promise<number> {
  return withTunedFactories(
    connections,
    () => new Promise<number>((resolve, reject) => server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)))),
  );
}

/** Accepts on a listening socket made elsewhere and hands each connection to grpc-js. */
async function acceptOn(server: grpc.Server, fd: number, creds: grpc.ServerCredentials, connections: GrpcConnections): Promise<number> {
  const injector = await withTunedFactories(connections, async () => server.createConnectionInjector(creds));
  const listener = net.createServer((socket) => injector.injectConnection(socket));
  connections.trackListener(listener);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ fd }, () => {
      listener.off('error', reject);
      // Accept errors (EMFILE when descriptors run out) are passing: said, never fatal to the thread.
      listener.on('error', (err) => log.warn(`gRPC listener: ${err.message}`));
      resolve();
    });
  });
  return (listener.address() as net.AddressInfo).port;
}

/**
 * gRPC core (TF Serving's) unlinks a socket file left at the path before binding, so a server killed
 * with SIGKILL restarts on the same path; anything that is not a socket is left alone and the bind fails.
 */
function removeSocketFile(socketPath: string): void {
  try {
    if (fs.lstatSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** How gRPC names a TCP address (an IPv6 address in brackets), as in our "Running gRPC ModelServer at" line. */
export const grpcAddress = (bindAddress: string, port: number): string =>
  `${bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress}:${port}`;

/** Reports each unary call as it starts and as it is answered (graceful shutdown waits for them). */
export interface CallTracker {
  enter(): void;
  leave(): void;
}

function tracked(impl: grpc.UntypedServiceImplementation, tracker: CallTracker | undefined): grpc.UntypedServiceImplementation {
  if (!tracker) return impl;
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const unaryHandler = handler as grpc.handleUnaryCall<unknown, unknown>;
    out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      tracker.enter();
      unaryHandler(call, (err, value) => {
        tracker.leave();
        callback(err, value);
      });
    }) as grpc.UntypedHandleCall;
  }
  return out;
}

/** Starts the gRPC listeners (TCP port and/or Unix socket). Resolves with the bound TCP port. */
export async function startGrpcServer(
  services: GrpcServiceSet[],
  opts: GrpcListenOptions,
  configure?: (server: grpc.Server) => void,
  tracker?: CallTracker,
): Promise<{ server: grpc.Server; port: number; connections: GrpcConnections }> {
  const server = new grpc.Server(serverOptions(opts.channelArguments));
  const connections = new GrpcConnections(ageOptions(opts.channelArguments));
  for (const s of services) server.addService(s.definition, tracked(s.implementation, tracker));
  configure?.(server);
  let port = 0;
  const creds = credentials(opts.ssl);
  if (opts.fd !== undefined) {
    port = await acceptOn(server, opts.fd, creds, connections);
  } else if (opts.port !== 0) {
    port = await bind(server, grpcAddress(opts.bindAddress, opts.port), creds, connections);
    log.info(`Running gRPC ModelServer at ${grpcAddress(opts.bindAddress, port)} ...`);
  }
  if (opts.socketPath) {
    removeSocketFile(opts.socketPath);
    await bind(server, `unix:${opts.socketPath}`, creds, connections);
    log.info(`Running gRPC ModelServer at UNIX socket ${opts.socketPath} ...`);
  }
  return { server, port, connections };
}
