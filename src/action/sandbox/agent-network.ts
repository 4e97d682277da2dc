import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { AllowEntry } from '../../core/egress-allowlist.js';
import { startEgressProxy, type EgressProxy } from './egress-proxy.js';

const run = promisify(execFile);

export interface AgentNetwork {
  /**
   * The namespace agent processes enter: `nsenter --net=<nsPath>`. A bind mount of it in a
   * root-only directory, not `/proc/<bridge>/ns/net`: if the bridge dies its pid may name another
   * process (another namespace, or the host's), while this keeps naming the agent's namespace,
   * which then has no way out at all.
   */
  nsPath: string;
  /** The bridge's pid (for the log and tests). */
  bridgePid: number;
  /** Inside the namespace: the proxy for HTTP_PROXY/HTTPS_PROXY, e.g. http://127.0.0.1:3128 */
  proxyUrl: string;
  /** Inside the namespace: the gateway's base URL (http://127.0.0.1:<port>), when a gateway was given. */
  gatewayUrl?: string;
  /** Destinations the proxy refused, with counts. */
  refused(): { destination: string; count: number }[];
  close(): Promise<void>;
}

export interface AgentNetworkOptions {
  /** Where the proxy lets the agent go (parsed from network.allow and the defaults). */
  allow: readonly AllowEntry[];
  /** The LLM gateway on host loopback, reachable from inside at `gatewayUrl`. */
  gateway?: { host: string; port: number };
  log?: (line: string) => void;
}

/** The ports the bridge listens on inside the namespace, which is new and so has them free. */
export const NAMESPACE_PORTS = { proxy: 3128, gateway: 8080 } as const;

/** How long the bridge may take to come up before the job gives up on it. */
const BRIDGE_START_MS = 30_000;

/**
 * The bridge, run by node inside the namespace: for each `port=socketPath` argument it listens
 * on 127.0.0.1:port and pipes every connection to the Unix socket, prints "ready" once all
 * listen, and exits when its stdin closes (the Action process is gone, so nothing is served).
 */
const BRIDGE_SCRIPT = `
const net = require('node:net');
const pairs = process.argv.slice(1).map((a) => a.split('='));
let pending = pairs.length;
for (const [port, path] of pairs) {
  const server = net.createServer((inner) => {
    const outer = net.connect(path);
    inner.on('error', () => outer.destroy());
    outer.on('error', () => inner.destroy());
    inner.pipe(outer).pipe(inner);
  });
  server.on('error', (e) => { console.error('bridge: ' + port + ': ' + e.message); process.exit(1); });
  server.listen(Number(port), '127.0.0.1', () => { if (--pending === 0) console.log('ready'); });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

/**
 * A network for the agent's processes: a new network namespace with nothing but loopback, whose
 * only ways out are the filtering egress proxy and the LLM gateway. One bridge process, root
 * inside the namespace, listens on fixed loopback ports there and hands each connection to a
 * Unix socket in a root-only directory; the Action process relays those to the proxy's and the
 * gateway's TCP ports on host loopback. No interface, route or firewall rule is added anywhere,
 * and an agent process (another user, in the namespace) can reach neither the sockets nor host
 * loopback. The namespace is kept by a bind mount until `close()`, which ends the bridge too.
 */
export async function startAgentNetwork(options: AgentNetworkOptions): Promise<AgentNetwork> {
  const log = options.log ?? (() => {});
  // mkdtemp makes it 0700; said again so the sockets' only guard is not a default.
  const dir = await mkdtemp(join(tmpdir(), 'gantry-net-'));
  await chmod(dir, 0o700);
  const proxy = await startEgressProxy({ allow: options.allow, log }).catch(async (e: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw e;
  });
  const relays: Relay[] = [];
  let closing: Promise<void> | undefined;
  try {
    relays.push(await startRelay(join(dir, 'proxy.sock'), { host: '127.0.0.1', port: proxy.port }));
    if (options.gateway) relays.push(await startRelay(join(dir, 'gateway.sock'), options.gateway));
    const routes = [`${NAMESPACE_PORTS.proxy}=${relays[0]!.path}`];
    if (relays[1]) routes.push(`${NAMESPACE_PORTS.gateway}=${relays[1].path}`);
    const bridge = await startBridge(routes, log);
    const nsPath = join(dir, 'net');
    try {
      await writeFile(nsPath, '');
      await run('mount', ['--bind', `/proc/${bridge.pid}/ns/net`, nsPath]);
      // The bridge's pid named its namespace only while it ran: still running, it was its own.
      if (bridge.exitCode !== null || bridge.signalCode !== null)
        throw new Error('the bridge exited before its namespace was kept');
    } catch (e) {
      await stopBridge(bridge);
      throw new Error(
        `could not keep the agent's network namespace at ${nsPath}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    return {
      nsPath,
      bridgePid: bridge.pid!,
      proxyUrl: `http://127.0.0.1:${NAMESPACE_PORTS.proxy}`,
      ...(options.gateway ? { gatewayUrl: `http://127.0.0.1:${NAMESPACE_PORTS.gateway}` } : {}),
      refused: () => proxy.refused(),
      // Once: a second call waits for the first.
      close: () =>
        (closing ??= stopBridge(bridge)
          .then(() => release(nsPath))
          .then(() => shutDown(proxy, relays, dir))),
    };
  } catch (e) {
    await shutDown(proxy, relays, dir);
    throw e;
  }
}

/** Unmount the namespace's bind mount (lazily if it is busy), so its directory can go. */
async function release(nsPath: string): Promise<void> {
  await run('umount', [nsPath]).catch(() => run('umount', ['-l', nsPath]).catch(() => {}));
}

async function shutDown(proxy: EgressProxy, relays: Relay[], dir: string): Promise<void> {
  await Promise.all([...relays.map((r) => r.close()), proxy.close()]);
  await rm(dir, { recursive: true, force: true });
}

interface Relay {
  path: string;
  close(): Promise<void>;
}

/** A Unix socket at `path` (in a 0700 directory: only root reaches it) piped to a TCP port. */
async function startRelay(path: string, to: { host: string; port: number }): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inner) => {
    const outer = connect(to.port, to.host);
    for (const s of [inner, outer]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    inner.on('error', () => outer.destroy());
    outer.on('error', () => inner.destroy());
    inner.pipe(outer).pipe(inner);
  });
  server.listen(path);
  await once(server, 'listening');
  return {
    path,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/**
 * Start the bridge in a new network namespace and wait for its "ready". `unshare` keeps its pid
 * through the execs (no --fork), so the child's pid is the bridge's and names the namespace.
 */
async function startBridge(routes: string[], log: (line: string) => void): Promise<ChildProcess> {
  // Positional arguments, not interpolation: nothing is quoted into the shell text.
  const sh = [
    "command -v ip >/dev/null 2>&1 || { echo 'gantry: ip not found' >&2; exit 90; }",
    "ip link set lo up || { echo 'gantry: ip link set lo up failed' >&2; exit 91; }",
    'exec "$@"',
  ].join('\n');
  const child = spawn(
    'unshare',
    ['--net', '--', 'sh', '-c', sh, 'sh', process.execPath, '-e', BRIDGE_SCRIPT, ...routes],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    for (const line of chunk.split('\n').filter(Boolean)) log(`agent network bridge: ${line}`);
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit');
  let ready = false;
  exited
    .then(([code, signal]) => {
      if (ready && !stopped.has(child))
        log(
          `agent network bridge: exited (${String(code ?? signal)}); the agent's processes have no way out now`,
        );
    })
    .catch(() => {});
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the agent network bridge did not start within ${BRIDGE_START_MS} ms`));
      }, BRIDGE_START_MS);
      const done = (e?: Error) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      lines.on('line', (line) => {
        if (line === 'ready') done();
      });
      child.once('error', (e: NodeJS.ErrnoException) => done(spawnError(e)));
      exited
        .then(([code, signal]) => done(exitError(code as number | null, signal, stderr)))
        // A spawn failure rejects this too; the 'error' listener above has already said why.
        .catch(() => {});
    });
  } catch (e) {
    await stopBridge(child);
    throw e;
  }
  ready = true;
  return child;
}

/** Bridges ended on purpose, whose exit is no news. */
const stopped = new WeakSet<ChildProcess>();

async function stopBridge(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  stopped.add(child);
  child.kill('SIGKILL');
  await exited;
}

const NEEDS =
  'the agent network needs root (CAP_SYS_ADMIN) to create a network namespace, with util-linux (unshare) and iproute2 (ip) installed';

function spawnError(e: NodeJS.ErrnoException): Error {
  if (e.code === 'ENOENT') return new Error(`unshare was not found on PATH: ${NEEDS}`);
  return new Error(`could not run unshare: ${e.message}; ${NEEDS}`);
}

function exitError(code: number | null, signal: unknown, stderr: string): Error {
  const said = stderr.trim() ? `: ${stderr.trim()}` : '';
  const how = code === null ? `was killed by ${String(signal)}` : `exited with ${code}`;
  if (code === 90) return new Error(`ip was not found on PATH${said}; ${NEEDS}`);
  if (code === 91)
    return new Error(`"ip link set lo up" failed in the new namespace${said}; ${NEEDS}`);
  if (/^unshare:/m.test(stderr))
    return new Error(`"unshare --net" failed${said}; ${NEEDS} (are you root?)`);
  return new Error(`the agent network bridge ${how} before it was ready${said}`);
}
