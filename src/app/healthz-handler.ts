import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthReport } from './health-report.js';

/**
 * A handler for Probot's HTTP server (`addHandler`): `GET /healthz` answers the report as JSON,
 * 200 when healthy and 503 when not; other requests are left to the next handler.
 */
export function healthzHandler(
  health: () => Promise<HealthReport>,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    let status: number;
    let body: string;
    try {
      const report = await health();
      status = report.ok ? 200 : 503;
      body = JSON.stringify(report);
    } catch (e) {
      status = 503;
      body = JSON.stringify({ ok: false, problems: [`the health check failed: ${String(e)}`] });
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
