import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../src/core/egress-allowlist.js';
import { startAgentNetwork, type AgentNetwork } from '../../src/action/sandbox/agent-network.js';
import { startEgressProxy, type EgressProxy } from '../../src/action/sandbox/egress-proxy.js';

const run = promisify(execFile);

/** Servers on host loopback: A speaks HTTP and is allowed, B is raw TCP and is not. */
let serverA: HttpServer;
let serverB: Server;
let gateway: HttpServer;
let portA: number;
let portB: number;
let gatewayPort: number;

async function listen<S extends HttpServer | Server>(server: S): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  serverA = createHttpServer((req, res) => res.end(`hello from A ${req.method} ${req.url}`));
  serverB = createServer((s) => s.end('B answered\n'));
  gateway = createHttpServer((req, res) => res.end(`gateway here ${req.url}`));
  [portA, portB, gatewayPort] = await Promise.all([
    listen(serverA),
    listen(serverB),
    listen(gateway),
  ]);
});
afterAll(async () => {
  for (const s of [serverA, serverB, gateway]) {
    s.close();
    await once(s, 'close');
  }
});

/**
 * A client in node, one operation per argument, each printed as a JSON line:
 * `http <proxy> <url>`, `connect <proxy> <host:port>` (then a GET through the tunnel),
 * `direct <host> <port>`, `get <url>`.
 */
const CLIENT = `
const http = require('node:http');
const net = require('node:net');
const [op, a, b] = process.argv.slice(1);
const out = (r) => { console.log(JSON.stringify(r)); };
const fail = (e) => out({ error: e.code || e.message });
if (op === 'http' || op === 'get') {
  // Through the proxy at a, asking for b; or straight to the URL a.
  const to = new URL(a);
  const path = op === 'http' ? b : to.pathname;
  const req = http.request({ host: to.hostname, port: to.port, path, agent: false });
  req.on('response', (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => out({ status: res.statusCode, body }));
  });
  req.on('error', fail);
  req.end();
} else if (op === 'connect') {
  const proxy = new URL(a);
  const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: b, agent: false });
  req.on('connect', (res, socket, head) => {
    let body = head.toString();
    socket.on('data', (d) => (body += d));
    socket.on('end', () => out({ status: res.statusCode, body }));
    socket.on('error', fail);
    if (res.statusCode === 200) socket.write('GET /tunnelled HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n');
  });
  req.on('error', fail);
  req.end();
} else if (op === 'direct') {
  const s = net.connect(Number(b), a);
  s.on('connect', () => { out({ connected: true }); s.destroy(); });
  s.on('error', fail);
}
`;

/** Run the client in the namespace, as the Action will run an agent's processes. */
async function inNamespace(net: AgentNetwork, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('nsenter', [
    `--net=${net.nsPath}`,
    '--',
    process.execPath,
    '-e',
    CLIENT,
    ...args,
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The same client on host loopback, for the proxy alone. */
async function onHost(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['-e', CLIENT, ...args]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the egress proxy, on host loopback', () => {
  let proxy: EgressProxy;
  beforeAll(async () => {
    // Allowed by name only: the IP literal of the same server is not on the list.
    proxy = await startEgressProxy({ allow: parseAllowList([`localhost:${portA}`]) });
  });
  afterAll(() => proxy.close());

  it('lets a name on the list through, and refuses its IP literal that is not', async () => {
    expect(await onHost('http', proxy.url, `http://localhost:${portA}/x`)).toEqual({
      status: 200,
      body: 'hello from A GET /x',
    });
    const refused = await onHost('connect', proxy.url, `127.0.0.1:${portA}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(`refused 127.0.0.1:${portA}`);
    expect(proxy.refused()).toContainEqual({ destination: `127.0.0.1:${portA}`, count: 1 });
  });

  it('refuses an origin-form request, which the library would send to localhost:80', async () => {
    const res = await onHost('http', proxy.url, '/');
    expect(res.status).toBe(403);
    expect(res.body).toContain('not a destination it can check');
  });

  it('refuses a CONNECT target without a plain host:port', async () => {
    for (const target of [`localhost`, `:${portA}`, `localhost:${portA}x`])
      expect((await onHost('connect', proxy.url, target)).status).toBe(403);
  });

  it('answers a client that sends before the tunnel is open with 400, and goes on', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `CONNECT localhost:${portA} HTTP/1.1\r\nHost: localhost:${portA}\r\n\r\n` +
        'GET /eager HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    await once(socket, 'close');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(text).toContain('send nothing through a CONNECT tunnel before');
    expect(await onHost('http', proxy.url, `http://localhost:${portA}/after`)).toEqual({
      status: 200,
      body: 'hello from A GET /after',
    });
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('the agent network (needs root to create a network namespace)', () => {
  let net: AgentNetwork;
  beforeAll(async () => {
    net = await startAgentNetwork({
      allow: parseAllowList([`127.0.0.1:${portA}`]),
      gateway: { host: '127.0.0.1', port: gatewayPort },
    });
  });
  afterAll(() => net?.close());

  it('has no interface but loopback', async () => {
    const { stdout } = await run('nsenter', [`--net=${net.nsPath}`, '--', 'ip', '-o', 'link']);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]!.trim()),
    ).toEqual(['lo']);
  });

  it('reaches an allowed server through the proxy, by plain HTTP and by CONNECT', async () => {
    expect(net.proxyUrl).toBe('http://127.0.0.1:3128');
    expect(await inNamespace(net, 'http', net.proxyUrl, `http://127.0.0.1:${portA}/plain`)).toEqual(
      { status: 200, body: 'hello from A GET /plain' },
    );
    const tunnel = await inNamespace(net, 'connect', net.proxyUrl, `127.0.0.1:${portA}`);
    expect(tunnel.status).toBe(200);
    expect(tunnel.body).toContain('hello from A GET /tunnelled');
  });

  it('refuses a server not on the list with 403, says how to allow it, and counts it', async () => {
    const b = `127.0.0.1:${portB}`;
    const tunnel = await inNamespace(net, 'connect', net.proxyUrl, b);
    expect(tunnel.status).toBe(403);
    expect(tunnel.body).toContain(`refused ${b}`);
    expect(tunnel.body).toContain('network.allow in .github/gantry.yml');
    expect(tunnel.body).not.toContain('B answered');
    const plain = await inNamespace(net, 'http', net.proxyUrl, `http://${b}/`);
    expect(plain.status).toBe(403);
    expect(net.refused()).toEqual([{ destination: b, count: 2 }]);
  });

  it('cannot connect to a host loopback port directly: nothing listens there in the namespace', async () => {
    expect(await inNamespace(net, 'direct', '127.0.0.1', String(portB))).toEqual({
      error: 'ECONNREFUSED',
    });
    expect(await inNamespace(net, 'direct', '127.0.0.1', String(portA))).toEqual({
      error: 'ECONNREFUSED',
    });
  });

  it('cannot connect to any outside address: there is no route', async () => {
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal)
      .map((i) => i!.address);
    // 192.0.2.1 is a documentation address: it is nowhere, and an error here is not a timeout.
    for (const address of ['192.0.2.1', '1.1.1.1', ...hostAddresses])
      expect(await inNamespace(net, 'direct', address, '443'), address).toEqual({
        error: 'ENETUNREACH',
      });
  });

  it('reaches the gateway at its URL', async () => {
    expect(net.gatewayUrl).toBe('http://127.0.0.1:8080');
    expect(await inNamespace(net, 'get', `${net.gatewayUrl}/v1/models`)).toEqual({
      status: 200,
      body: 'gateway here /v1/models',
    });
  });
});

describe.skipIf(!isRoot)('closing the agent network (needs root)', () => {
  it('leaves no bridge and no process in the namespace', async () => {
    const net = await startAgentNetwork({ allow: [] });
    expect(net.gatewayUrl).toBeUndefined();
    const pid = net.bridgePid;
    const inode = statSync(net.nsPath).ino;
    await net.close();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(existsSync(net.nsPath)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(net.nsPath);
    const inNamespace = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return statSync(`/proc/${d}/ns/net`).ino === inode;
        } catch {
          return false; // gone meanwhile, or not ours to see
        }
      });
    expect(inNamespace).toEqual([]);
  });
});

describe.skipIf(!isRoot)('when the bridge dies (needs root)', () => {
  it("still names the agent's namespace, which then has no way out, never the bridge's old pid", async () => {
    const net = await startAgentNetwork({ allow: [] });
    try {
      const inode = statSync(`/proc/${net.bridgePid}/ns/net`).ino;
      expect(statSync(net.nsPath).ino).toBe(inode);
      process.kill(net.bridgePid, 'SIGKILL');
      while (existsSync(`/proc/${net.bridgePid}/ns/net`))
        await new Promise((r) => setTimeout(r, 20));
      const { stdout } = await run('nsenter', [
        `--net=${net.nsPath}`,
        '--',
        'sh',
        '-c',
        `stat -L -c %i /proc/self/ns/net; ip -o link | cut -d: -f2; curl -sS -m 5 --noproxy '*' ${net.proxyUrl}/ 2>&1 || echo REFUSED`,
      ]);
      const [seen, ...rest] = stdout.trim().split('\n');
      expect(Number(seen)).toBe(inode);
      expect(rest.map((l) => l.trim())).toEqual([
        'lo',
        expect.stringMatching(/Could not connect|Failed to connect|Connection refused/),
        'REFUSED',
      ]);
    } finally {
      await net.close();
    }
  });
});

describe('when the agent network cannot be made', () => {
  async function withPath<T>(path: string, f: () => Promise<T>): Promise<T> {
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      return await f();
    } finally {
      process.env.PATH = saved;
    }
  }

  it('names unshare when it is missing, and what it needs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gantry-nopath-'));
    await expect(withPath(empty, () => startAgentNetwork({ allow: [] }))).rejects.toThrow(
      /unshare was not found on PATH: .*needs root/,
    );
  });

  it.skipIf(!isRoot)('names ip when it is missing (needs root to get that far)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'gantry-noip-'));
    const which = async (cmd: string) =>
      (await run('sh', ['-c', `command -v ${cmd}`])).stdout.trim();
    for (const cmd of ['unshare', 'sh']) symlinkSync(await which(cmd), join(bin, cmd));
    await expect(withPath(bin, () => startAgentNetwork({ allow: [] }))).rejects.toThrow(
      /ip was not found on PATH.*needs root/,
    );
  });
});
