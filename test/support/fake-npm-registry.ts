import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A package to publish: its package.json and its files. */
export interface FakePackage {
  manifest: { name: string; version: string } & Record<string, unknown>;
  files: Record<string, string>;
}

/** The npm integrity string of a tarball, as the registry's `dist.integrity` gives it. */
export function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * A local npm registry (the two routes `npm ci` uses: a package's metadata and its tarball) serving
 * tarballs built by the real `npm pack`. It answers under any path prefix and records the request
 * paths, so a test can see what npm asked for; `serve` swaps a tarball, as a tampered mirror would,
 * advertising the new bytes' integrity in the metadata as such a mirror would.
 */
export async function startFakeNpmRegistry(packages: FakePackage[]) {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-fake-registry-'));
  const tarballs = new Map<string, Buffer>();
  for (const p of packages) tarballs.set(p.manifest.name, await pack(dir, p));
  const built = new Map(tarballs);
  const requests: string[] = [];
  const manifests = new Map(packages.map((p) => [p.manifest.name, p.manifest]));

  const server = createServer((req, res) => {
    // npm asks for `<prefix>/@scope%2fname` (metadata) and the tarball URL the metadata gives.
    const segments = new URL(req.url ?? '/', 'http://x').pathname.split('/');
    requests.push(segments.map(decodeURIComponent).join('/'));
    const name = decodeURIComponent(segments.at(-1) ?? '');
    const tgz = segments.at(-2) === '-tarball';
    const bytes = tarballs.get(name);
    const manifest = manifests.get(name);
    if (!bytes || !manifest) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    if (tgz) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
      return;
    }
    const tarball = `http://127.0.0.1:${port()}/-tarball/${encodeURIComponent(name)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        name,
        'dist-tags': { latest: manifest.version },
        versions: {
          [manifest.version]: { ...manifest, dist: { tarball, integrity: integrityOf(bytes) } },
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port()}/`,
    requests,
    /** The integrity of the tarball built for a package (what a pin of it holds). */
    integrity: (name: string) => integrityOf(built.get(name)!),
    /** Serve other bytes for a package from now on. */
    serve: (name: string, bytes: Buffer) => void tarballs.set(name, bytes),
    /** Serve the tarballs built at the start again, and forget the requests. */
    reset: () => {
      for (const [name, bytes] of built) tarballs.set(name, bytes);
      requests.length = 0;
    },
    /** Build another package's tarball without publishing it. */
    pack: (p: FakePackage) => pack(dir, p),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function pack(dir: string, p: FakePackage): Promise<Buffer> {
  const src = await mkdtemp(join(dir, 'src-'));
  await writeFile(join(src, 'package.json'), JSON.stringify(p.manifest));
  for (const [file, text] of Object.entries(p.files)) {
    await mkdir(join(src, file, '..'), { recursive: true });
    await writeFile(join(src, file), text);
  }
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', src],
    { cwd: src, env: { PATH: process.env.PATH ?? '', HOME: src } },
  );
  const [info] = JSON.parse(stdout) as { filename: string }[];
  return readFile(join(src, info!.filename));
}
