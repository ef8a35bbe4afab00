import * as http2 from 'node:http2';
import * as net from 'node:net';
import { sendShutdownNotice } from './goaway-notice';

/** How long a client may take to acknowledge the GOAWAY notice before the connection is closed anyway. */
export const NOTICE_TIMEOUT_MS = 1000;
/**
 * After the notice, how long a client may keep an idle connection before the server closes it. gRPC
 * clients close it themselves as soon as their calls are answered, which spares them a second GOAWAY:
 * every GOAWAY makes gRPC's C core fail calls it had just handed to that connection without sending them,
 * and it cannot replay a call larger than its retry buffer (256 KiB by default).
 */
export const CLIENT_LEAVE_MS = 1000;

export interface ConnectionAgeOptions {
  /** grpc.max_connection_age_ms: a connection older than this (±10 %) is closed gracefully. */
  maxAgeMs?: number;
  /** grpc.max_connection_age_grace_ms: how long its calls may still run after that. */
  graceMs?: number;
}

function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms))));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once the connection is gone. A session that is merely closing (`closed`: a GOAWAY went either
 * way) may still be writing its last answers, so only its 'close' event counts.
 */
const closedEvent = (session: http2.Http2Session): Promise<void> =>
  session.destroyed ? Promise.resolve() : new Promise((resolve) => session.once('close', () => resolve()));

/**
 * The gRPC port's listeners and HTTP/2 connections, closed without losing a request: at shutdown and when
 * a connection reaches its maximum age, each client gets the GOAWAY notice (see goaway-notice.ts) and
 * leaves by itself; only a client that stays is closed by the server. grpc-js's own connection ageing
 * closes at once and is not used.
 */
export class GrpcConnections {
  private readonly listeners = new Set<net.Server>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly notices = new Set<Promise<unknown>>();
  /** Connections whose client acknowledged the notice. */
  private readonly told = new WeakSet<http2.ServerHttp2Session>();
  private stopping = false;

  constructor(private readonly age: ConnectionAgeOptions = {}) {}

  /** Called for every listener grpc-js creates. */
  trackListener(listener: net.Server): void {
    this.listeners.add(listener);
  }

  /** Called for every connection a gRPC listener accepts. */
  track(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    // One that slipped in while the server stops is told at once, and the shutdown waits for it too.
    if (this.stopping) this.notify(session);
    else this.scheduleAgeing(session);
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Stops accepting connections and sends the notice on every open one; resolves once each client has
   * acknowledged it or timeoutMs has passed. Calls keep arriving and being served on these connections
   * until their clients have read the notice.
   */
  async announceShutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    // A client told to go away must not come straight back to this server.
    for (const listener of this.listeners) if (listener.listening) listener.close();
    const deadline = Date.now() + timeoutMs;
    for (const session of this.sessions) this.notify(session);
    while (this.notices.size > 0 && Date.now() < deadline) {
      await within(deadline - Date.now(), Promise.all([...this.notices]));
    }
  }

  /** Resolves once every client that acknowledged the notice has closed its connection, or after timeoutMs. */
  async clientsGone(timeoutMs: number): Promise<void> {
    const told = [...this.sessions].filter((s) => this.told.has(s));
    await within(timeoutMs, Promise.all(told.map(closedEvent)));
  }

  /** Resolves once every connection is gone (their last answers written), or after timeoutMs. */
  async allClosed(timeoutMs: number): Promise<void> {
    await within(timeoutMs, Promise.all([...this.sessions].map(closedEvent)));
  }

  private notify(session: http2.ServerHttp2Session): Promise<boolean | undefined> {
    const notice = within(
      NOTICE_TIMEOUT_MS,
      sendShutdownNotice(session).then((acked) => {
        if (acked) this.told.add(session);
        return acked;
      }),
    );
    this.notices.add(notice);
    void notice.finally(() => this.notices.delete(notice));
    return notice;
  }

  private scheduleAgeing(session: http2.ServerHttp2Session): void {
    const { maxAgeMs, graceMs } = this.age;
    if (maxAgeMs === undefined) return;
    // Spread over ±10 % so connections opened together do not all move at once (as gRPC does).
    const jitter = (Math.random() * 2 - 1) * (maxAgeMs / 10);
    const timer = setTimeout(() => void this.retire(session, graceMs), maxAgeMs + jitter).unref();
    session.once('close', () => clearTimeout(timer));
  }

  private async retire(session: http2.ServerHttp2Session, graceMs: number | undefined): Promise<void> {
    if (this.stopping) return;
    // The grace period counts from the notice, as gRPC counts it from its first GOAWAY.
    if (graceMs !== undefined) setTimeout(() => session.destroy(), graceMs).unref();
    // A client that was told (not one on TLS, see goaway-notice.ts) gets the chance to leave by itself.
    if (await this.notify(session)) await within(CLIENT_LEAVE_MS, closedEvent(session));
    // close() sends the final GOAWAY and ends the connection once its calls have finished.
    if (!session.closed && !session.destroyed) session.close();
  }
}
