import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';

/**
 * The first half of HTTP/2's two-step graceful close, which C++ gRPC servers (TF Serving's) do and
 * grpc-js's tryShutdown does not: a GOAWAY whose last stream id is the largest possible tells each client
 * to open no more streams on its connection while every stream it already sent is still accepted. Without
 * it, tryShutdown's single GOAWAY names the last stream the server has seen, and a request the client sent
 * just before that frame reached it is lost with the connection ("Stream removed"): one failed request per
 * connection now and then during every rolling update. Call it, give clients a round trip to see it, then
 * tryShutdown. grpc-js keeps its HTTP/2 sessions private, so they are read from its internals; if a future
 * grpc-js changes them this does nothing and the shutdown is as before.
 */
export function announceGoaway(server: grpc.Server): number {
  const servers = (server as unknown as { http2Servers?: Map<unknown, { sessions?: Map<http2.ServerHttp2Session, unknown> }> }).http2Servers;
  let sent = 0;
  for (const entry of servers?.values() ?? []) {
    for (const session of entry.sessions?.keys() ?? []) {
      try {
        session.goaway(http2.constants.NGHTTP2_NO_ERROR, 2 ** 31 - 1);
        sent++;
      } catch {
        // already closing
      }
    }
  }
  return sent;
}
