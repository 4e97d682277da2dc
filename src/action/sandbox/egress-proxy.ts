import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';
import { isAllowed, type AllowEntry } from '../../core/egress-allowlist.js';

export interface EgressProxy {
  /** The proxy's address on host loopback: http://127.0.0.1:<port>. */
  url: string;
  port: number;
  /** Destinations refused (`host:port`), most refused first. */
  refused(): { destination: string; count: number }[];
  close(): Promise<void>;
}

/** A destination the way the proxy library will reach it: a host (no brackets) and a port. */
interface Destination {
  host: string;
  port: number;
}

/** Distinct destinations tallied; refusals past them are counted together under OTHERS. */
const MAX_DESTINATIONS = 1000;
const MAX_LABEL = 200;
const OTHERS = '(other destinations)';

const HOW_TO_ALLOW = 'add it to network.allow in .github/gantry.yml';

/**
 * A filtering forward proxy on 127.0.0.1 at an ephemeral port, built on the `proxy` package:
 * plain HTTP requests (absolute-form URLs) and CONNECT tunnels to destinations on `allow` go
 * through; every other one is answered `403 Forbidden` with a text that names it and says how
 * to allow it, and is counted. The match is on the name the client asked for, so an IP literal
 * passes only when that literal is itself on the list.
 *
 * The library registers its own 'request' and 'connect' listeners; they are taken off and
 * called from a filter, which parses the target exactly as the library will (so the two cannot
 * disagree about where a request goes) and refuses anything it cannot parse.
 */
export async function startEgressProxy(options: {
  allow: readonly AllowEntry[];
  log?: (line: string) => void;
}): Promise<EgressProxy> {
  const log = options.log ?? (() => {});
  const counts = new Map<string, number>();
  const server = createProxy(createServer());
  const [onRequest] = server.listeners('request') as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>)[];
  const [onConnect] = server.listeners('connect') as ((
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
  ) => Promise<void>)[];
  if (!onRequest || !onConnect)
    throw new Error(
      'the proxy package no longer registers request and connect listeners: the egress filter cannot wrap it; pin the proxy version this code was written for (4.x)',
    );
  server.removeAllListeners('request');
  server.removeAllListeners('connect');

  const allowed = (d: Destination) => isAllowed(options.allow, d.host, d.port);
  const refuse = (what: string, d: Destination | undefined) => {
    // The agent chooses these names, so the tally is bounded in size and in length.
    let key = (d ? label(d) : what).slice(0, MAX_LABEL);
    if (!counts.has(key) && counts.size >= MAX_DESTINATIONS) key = OTHERS;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count === 1) log(`egress proxy: refused ${key} (further refusals are only counted)`);
    return d
      ? `Gantry's egress proxy refused ${label(d)}: it is not on the network allowlist. To allow it, ${HOW_TO_ALLOW} (for example "${allowExample(d)}").\n`
      : `Gantry's egress proxy refused "${what}": it is not a destination it can check (host:port for CONNECT, an http:// URL otherwise).\n`;
  };
  // The library's listeners are async and some of their failures are rejections; one of them
  // must not end the Action process.
  const guard = (p: Promise<void>, what: string, drop: () => void) =>
    p.catch((e: unknown) => {
      log(`egress proxy: ${what}: ${(e as Error).message}`);
      drop();
    });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const d = httpDestination(req.url);
    if (!d || !allowed(d)) {
      req.resume();
      const body = refuse(req.url ?? '', d);
      res.writeHead(403, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    void guard(onRequest.call(server, req, res), `${req.method} ${req.url}`, () => res.destroy());
  });

  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const d = connectDestination(req.url);
    if (!d || !allowed(d)) {
      const body = refuse(req.url ?? '', d);
      socket.on('error', () => {});
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    // The library asserts that a client sends nothing before the tunnel is answered (and would
    // drop what came early); clients wait for the answer, so one that did not is told so.
    if (head.length) {
      socket.on('error', () => {});
      const body = `Gantry's egress proxy: send nothing through a CONNECT tunnel before its "200 Connection established".\n`;
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    void guard(onConnect.call(server, req, socket, head), `CONNECT ${req.url}`, () =>
      socket.destroy(),
    );
  });

  // Tunnels are detached from the HTTP server, so close() ends them by hand.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    refused: () =>
      [...counts]
        .map(([destination, count]) => ({ destination, count }))
        .sort((a, b) => b.count - a.count || a.destination.localeCompare(b.destination)),
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * Where the library sends a plain request: `new URL(req.url, 'http://localhost')`, default port
 * 80. An origin-form URL ("/path") would go to localhost, so only absolute http:// URLs count.
 */
function httpDestination(url: string | undefined): Destination | undefined {
  if (!url || !/^http:\/\//i.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://localhost');
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' || !parsed.hostname) return undefined;
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 80,
  };
}

/**
 * Where the library opens a tunnel: host before the last colon, port after it. Only a plain
 * `host:port` or `[v6]:port` is accepted, so a lenient parse (parseInt of "443x", an empty host
 * that net.connect reads as localhost) never decides the destination.
 */
function connectDestination(url: string | undefined): Destination | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+):(\d{1,5})$/i.exec(url ?? '');
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function label(d: Destination): string {
  return d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
}

function allowExample(d: Destination): string {
  return d.port === 443 || d.port === 80 ? d.host : `${d.host}:${d.port}`;
}
