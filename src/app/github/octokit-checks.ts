import type { AppInfo, ChecksPort } from './github-port.js';
import { call } from './github-error.js';
import type { OctokitRepo } from './octokit-repo.js';

const appOf = (
  a: { id: number; slug?: string; name: string } | null | undefined,
): AppInfo | undefined => (a ? { id: a.id, slug: a.slug ?? '', name: a.name } : undefined);

export function octokitChecks({ octokit, owner, repo }: OctokitRepo): ChecksPort {
  const rest = octokit.rest.checks;
  return {
    listCheckSuites: async (ref) =>
      (
        await call(octokit.paginate(rest.listSuitesForRef, { owner, repo, ref, per_page: 100 }))
      ).map((s) => ({
        app: appOf(s.app),
        status: s.status ?? '',
        conclusion: s.conclusion ?? null,
        runCount: s.latest_check_runs_count,
      })),
    listCheckRuns: async (ref) =>
      (
        await call(rest.listForRef({ owner, repo, ref, filter: 'latest', per_page: 100 }))
      ).data.check_runs.map((r) => ({
        id: r.id,
        name: r.name,
        status: r.status,
        conclusion: r.conclusion ?? null,
        summary: r.output.summary ?? undefined,
        app: appOf(r.app),
      })),
    listStatuses: async (ref) =>
      (
        await call(octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref, per_page: 100 }))
      ).data.statuses.map((s) => ({
        context: s.context,
        state: s.state,
        description: s.description ?? undefined,
      })),
    listAnnotations: async (check_run_id, max) =>
      (await call(rest.listAnnotations({ owner, repo, check_run_id, per_page: max }))).data.map(
        (a) => ({ path: a.path, line: a.start_line, message: a.message ?? '' }),
      ),
  };
}
