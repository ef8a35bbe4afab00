import * as net from 'node:net';

const PREFACE_BYTES = 24;
const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3 } as const;
const END_STREAM = 0x1;

/** Reads HTTP/2 frame headers from one direction of a connection and reports (type, flags, stream). */
function frameReader(skip: number, onFrame: (type: number, flags: number, stream: number) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let toSkip = skip;
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    if (toSkip > 0) {
      const n = Math.min(toSkip, pending.length);
      pending = pending.subarray(n);
      toSkip -= n;
    }
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      onFrame(pending[3], pending[4], pending.readUInt32BE(5) & 0x7fffffff);
      pending = pending.subarray(9 + length);
    }
  };
}

/**
 * A TCP relay in front of a gRPC server that watches the HTTP/2 frames going through it: every stream
 * a client opened must end with the server's END_STREAM or RST_STREAM. A stream the server silently
 * ignored (as nghttp2 does with streams arriving after it sent a GOAWAY) stays open, or the client resets
 * it; either way it is listed. (Clients that cancel calls themselves would be listed too.)
 */
export class H2Relay {
  connections = 0;
  streams = 0;
  /** Streams left unanswered on connections that have ended, as "connection:stream". */
  readonly unanswered: string[] = [];
  private readonly listener = net.createServer((client) => this.relay(client));
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly upstreamPort: number) {}

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(0, '127.0.0.1', () => resolve((this.listener.address() as net.AddressInfo).port));
    });
  }

  close(): void {
    this.listener.close();
    for (const s of this.sockets) s.destroy();
  }

  private relay(client: net.Socket): void {
    const id = ++this.connections;
    const open = new Set<number>();
    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    // While the server is down the relay accepts and then drops the client: those streams never reached it.
    let reached = false;
    upstream.once('connect', () => (reached = true));
    this.sockets.add(client).add(upstream);
    const fromClient = frameReader(PREFACE_BYTES, (type, _flags, stream) => {
      if (type === FRAME.HEADERS && stream !== 0 && !open.has(stream)) {
        open.add(stream);
        this.streams++;
      }
      // A client gives up on a stream the server ignored once a GOAWAY shows it was never received.
      if (type === FRAME.RST_STREAM && open.delete(stream) && reached) this.unanswered.push(`${id}:${stream} (reset by the client)`);
    });
    const fromServer = frameReader(0, (type, flags, stream) => {
      if (type === FRAME.RST_STREAM || ((type === FRAME.HEADERS || type === FRAME.DATA) && flags & END_STREAM)) open.delete(stream);
    });
    client.on('data', (d: Buffer) => {
      fromClient(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      fromServer(d);
      client.write(d);
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      if (reached) for (const stream of open) this.unanswered.push(`${id}:${stream}`);
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  }
}
