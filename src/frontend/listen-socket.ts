import * as dns from 'node:dns/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../runtime/tensorflow/native-addon';

/**
 * Listening sockets that every front-end thread accepts on: one SO_REUSEPORT socket per thread on the
 * same port, so the kernel spreads new connections over the threads (native/src/listen_socket.cc;
 * Node 20's listen() cannot set SO_REUSEPORT).
 */

interface NetListenAddon {
  listen(host: string, port: number, backlog: number, reusePort: boolean): { fd: number; port: number };
  closeFd(fd: number): void;
  setThreadName(name: string): void;
}

const ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'build', 'Release', 'net_listen.node');
let addon: NetListenAddon | undefined;

function netAddon(): NetListenAddon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  addon ??= require(ADDON_PATH) as NetListenAddon;
  return addon;
}

/** Names the calling OS thread (15 characters), so per-thread CPU in /proc reads by role. */
export function setThreadName(name: string): void {
  netAddon().setThreadName(name);
}

export interface PortGroup {
  /** The numeric address the sockets are bound to. */
  readonly address: string;
  readonly port: number;
  /** One listening descriptor per thread; each is owned by the net.Server that listens on it. */
  readonly fds: number[];
}

const BACKLOG = 511;

/**
 * `count` sockets on host:port. The port is first bound exclusively for a moment, so that "address in
 * use" is still reported when another process holds it, even one of ours (which would otherwise join
 * the group and take part of the traffic). Port 0 takes the port the kernel gives the first socket.
 */
export async function openPortGroup(host: string, port: number, count: number): Promise<PortGroup> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port should be >= 0 and < 65536. Received ${port}`);
  // A host name binds the first address it resolves to.
  const address = net.isIP(host) ? host : (await dns.lookup(host)).address;
  const native = netAddon();
  // Bound without listening: a conflict shows, and no connection is accepted (and reset) meanwhile.
  if (port !== 0) native.closeFd(native.listen(address, port, 0, false).fd);
  const fds: number[] = [];
  try {
    const first = native.listen(address, port, BACKLOG, true);
    fds.push(first.fd);
    const group = { address, port: first.port, fds };
    while (fds.length < count) fds.push(joinPortGroup(group));
    return group;
  } catch (err) {
    for (const fd of fds) native.closeFd(fd);
    throw err;
  }
}

/** One more socket in the group (for a thread that replaces one that died). */
export function joinPortGroup(group: PortGroup): number {
  return netAddon().listen(group.address, group.port, BACKLOG, true).fd;
}
