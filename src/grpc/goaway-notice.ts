import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';

/**
 * HTTP/2's graceful close has two steps: a GOAWAY naming the largest possible stream id ("open nothing
 * new here; everything you already sent is served"), then, once the client has seen it, a GOAWAY naming
 * the last stream really received. gRPC's C++ server (TF Serving's) does both with a PING in between.
 * Node cannot: any GOAWAY it sends through nghttp2 makes nghttp2 silently ignore every stream that
 * arrives afterwards, so a request the client sent while the frame was on its way is lost with the
 * connection ("Stream removed"). gRPC clients retry such a request only while it fits their retry buffer
 * (256 KiB by default); a 300×300 image does not, so rolling updates failed requests.
 *
 * The notice is therefore written to the socket beside nghttp2, which never learns of it and keeps
 * accepting streams. A PING sent after it proves the client has read it: the client answers PINGs in
 * order, so every stream it opened before reading the notice reaches us before the PING's ack.
 */
const NOTICE_FRAME = Buffer.from([
  0x00, 0x00, 0x08, // payload length 8
  0x07, // GOAWAY
  0x00, // no flags
  0x00, 0x00, 0x00, 0x00, // stream 0 (the connection)
  0x7f, 0xff, 0xff, 0xff, // last stream id 2^31-1
  0x00, 0x00, 0x00, 0x00, // NO_ERROR
]);

function ping(session: http2.Http2Session): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      if (!session.ping((err) => resolve(!err))) resolve(false);
    } catch {
      resolve(false);
    }
  });
}

/**
 * The connection's own socket. Node hands out a guard that refuses writes, so the socket is read from
 * the session's private field; if a future Node renames it, there is no notice (a plain GOAWAY follows).
 * Only plain TCP and Unix sockets qualify: their writes queue in libuv beside nghttp2's, each whole, while
 * Node's TLS layer allows a single write in flight and would abort the process on a second one.
 */
function plainSocket(session: http2.Http2Session): net.Socket | undefined {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'socket');
  const socket = key ? (session as unknown as Record<symbol, unknown>)[key] : undefined;
  if (!(socket instanceof net.Socket) || socket instanceof tls.TLSSocket || socket.destroyed) return undefined;
  return socket;
}

/** Whether a notice can be sent on this connection (plain TCP or Unix socket, still open). */
export function canSendNotice(session: http2.Http2Session): boolean {
  return !session.closed && !session.destroyed && plainSocket(session) !== undefined;
}

/**
 * Sends the notice and resolves true once the client has acknowledged a PING sent after it; false when
 * the connection cannot take a notice or closed first. Callers bound the wait (a client may never ack).
 */
export async function sendShutdownNotice(session: http2.Http2Session): Promise<boolean> {
  if (!canSendNotice(session)) return false;
  // One round trip first: our SETTINGS, which must open the connection, are then surely on the wire.
  if (!(await ping(session))) return false;
  const socket = plainSocket(session);
  if (!socket || session.closed || session.destroyed) return false;
  socket.write(NOTICE_FRAME);
  // Two round trips, not one: a client may have given a stream its id just before reading the notice and
  // write that stream's HEADERS right after the first PING's ack (gRPC's C core writes acks first). The
  // second PING leaves our side after that ack arrived, so its ack follows those HEADERS.
  return (await ping(session)) && ping(session);
}
