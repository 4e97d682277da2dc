import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Answer } from './answer.js';
import type { Token } from './token.js';

/** Where git is served: `/git/<owner>/<repo>.git/...`, GitHub's `https://github.com/o/r.git`. */
export const GIT_PREFIX = '/git/';

/**
 * Git over HTTP, as GitHub serves it: `git http-backend` (git's own smart HTTP server) behind
 * token authentication. Reading takes a token with `contents: read`, pushing one with
 * `contents: write`; a job token without them, or none, is refused as GitHub refuses it. No token
 * at all is answered 401 with a challenge, so git sends the credentials it has.
 */
export async function serveGit(
  req: IncomingMessage,
  url: URL,
  o: {
    root: string;
    token: (raw: string) => Token | undefined;
    known: (repo: string) => boolean;
    /** A request git http-backend failed on (recorded: a scenario fails on it). */
    failed: (why: string) => void;
  },
): Promise<Answer> {
  const rest = url.pathname.slice(GIT_PREFIX.length);
  const m = /^([^/]+)\/([^/]+)\.git(\/.*)$/.exec(rest);
  if (!m || !o.known(`${m[1]}/${m[2]}`)) return { status: 404, body: 'Repository not found.\n' };
  // Any `service=git-receive-pack` (git http-backend reads the last one) is a push.
  const push =
    url.searchParams.getAll('service').includes('git-receive-pack') || m[3] === '/git-receive-pack';
  const basic = /^basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const password = basic
    ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':')
    : '';
  const token = password ? o.token(password) : undefined;
  // GitHub takes no JWT for git; a job token is for its own repository only.
  if (!token || token.jwt || (token.repo !== undefined && token.repo !== `${m[1]}/${m[2]}`))
    return {
      status: 401,
      body: 'Authentication required.\n',
      headers: { 'www-authenticate': 'Basic realm="GitHub"' },
    };
  const may = token.contents ?? (token.app || !token.job ? 'write' : 'none');
  if (may === 'none' || (push && may !== 'write'))
    return {
      status: 403,
      body: `Permission to ${m[1]}/${m[2]}.git denied to ${token.login}.\n`,
    };
  const answer = await cgi(req, {
    GIT_PROJECT_ROOT: o.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${m[1]}/${m[2]}.git${m[3]}`,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
    GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    REMOTE_USER: token.login,
    REMOTE_ADDR: '127.0.0.1',
  });
  if (answer.failed) o.failed(`git ${req.method} ${url.pathname}: ${answer.failed}`);
  return answer;
}

/** Run `git http-backend` for one request: the request body in, CGI headers and body out. */
function cgi(
  req: IncomingMessage,
  env: Record<string, string>,
): Promise<Answer & { failed?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        ...env,
      },
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // it may answer before reading everything
    req.pipe(child.stdin);
    child.on('close', (code) => {
      const all = Buffer.concat(out);
      const end = all.indexOf('\r\n\r\n');
      const split = end >= 0 ? end : all.indexOf('\n\n');
      if (split < 0) {
        resolve({ status: 500, body: `git http-backend: ${err || 'no answer'}\n` });
        return;
      }
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of all.subarray(0, split).toString('utf8').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        if (name === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      const body = all.subarray(split + (end >= 0 ? 4 : 2));
      resolve({
        status,
        headers,
        body: new Uint8Array(body),
        ...(code !== 0 ? { failed: `git http-backend exited ${code}: ${err.trim()}` } : {}),
      });
    });
  });
}
