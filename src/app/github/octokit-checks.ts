import type { AppInfo, ChecksPort, CiReport } from './github-port.js';
import { call, GitHubGone } from './github-error.js';
import type { OctokitRepo } from './octokit-repo.js';

const appOf = (
  a: { id: number; slug?: string; name: string } | null | undefined,
): AppInfo | undefined => (a ? { id: a.id, slug: a.slug ?? '', name: a.name } : undefined);

/**
 * A commit's check suites, each with its latest runs, and its commit statuses: what REST gives in
 * three lists (suites, statuses, runs), in one query. Not `statusCheckRollup`: its contexts are
 * check runs and statuses only, so a GitHub Actions suite still queued, whose runs are not
 * created yet, would not be seen, and a sha could look green before its workflows start.
 */
const CI_REPORT = `query($owner: String!, $name: String!, $oid: GitObjectID!, $after: String) {
  repository(owner: $owner, name: $name) {
    id
    object(oid: $oid) {
      ... on Commit {
        checkSuites(first: 100, after: $after) {
          pageInfo { hasNextPage endCursor }
          nodes {
            app { databaseId slug name }
            workflowRun { file { path } }
            branch { name }
            status
            conclusion
            checkRuns(first: 100, filterBy: { checkType: LATEST }) {
              totalCount
              nodes { name status conclusion }
            }
          }
        }
        status { contexts { context state description } }
      }
    }
  }
}`;

interface CiAnswer {
  repository: {
    id: string;
    object: {
      checkSuites?: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: ({
          app: { databaseId: number | null; slug: string; name: string } | null;
          workflowRun?: { file: { path: string } | null } | null;
          branch?: { name: string } | null;
          status: string;
          conclusion: string | null;
          checkRuns: {
            totalCount: number;
            nodes: ({ name: string; status: string; conclusion: string | null } | null)[] | null;
          } | null;
        } | null)[];
      };
      status?: {
        contexts: { context: string; state: string; description: string | null }[];
      } | null;
    } | null;
  } | null;
}

/** GraphQL's enum values (`COMPLETED`, `FAILURE`) as REST spells them. */
const lower = (v: string | null | undefined) => (v ? v.toLowerCase() : null);

export function octokitChecks({ octokit, owner, repo, repositoryId }: OctokitRepo): ChecksPort {
  const rest = octokit.rest.checks;
  return {
    ciReport: async (oid) => {
      const report: CiReport = { suites: [], statuses: [] };
      let after: string | null = null;
      do {
        const answer: CiAnswer = await call(
          octokit.graphql<CiAnswer>(CI_REPORT, { owner, name: repo, oid, after }),
        );
        // Asked for free here, for the mutations that name the repository by it (`updateRefs`).
        repositoryId.learn(answer.repository?.id);
        const commit = answer.repository?.object;
        if (!commit?.checkSuites) throw new GitHubGone(`No commit ${oid} in ${owner}/${repo}`, 404);
        if (after === null)
          report.statuses = (commit.status?.contexts ?? []).map((s) => ({
            context: s.context,
            // EXPECTED: a required status not reported yet (REST's list leaves it out).
            state: s.state === 'EXPECTED' ? 'pending' : s.state.toLowerCase(),
            description: s.description ?? undefined,
          }));
        for (const s of commit.checkSuites.nodes) {
          if (!s) continue;
          report.suites.push({
            app: s.app
              ? { id: s.app.databaseId ?? 0, slug: s.app.slug, name: s.app.name }
              : undefined,
            workflow: s.workflowRun?.file?.path,
            branch: s.branch?.name,
            status: lower(s.status) ?? '',
            conclusion: lower(s.conclusion),
            runCount: s.checkRuns?.totalCount ?? 0,
            runs: (s.checkRuns?.nodes ?? []).flatMap((r) =>
              r
                ? [{ name: r.name, status: lower(r.status) ?? '', conclusion: lower(r.conclusion) }]
                : [],
            ),
          });
        }
        const page = commit.checkSuites.pageInfo;
        after = page.hasNextPage ? page.endCursor : null;
      } while (after !== null);
      return report;
    },
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
    listAnnotations: async (check_run_id, max) =>
      (await call(rest.listAnnotations({ owner, repo, check_run_id, per_page: max }))).data.map(
        (a) => ({ path: a.path, line: a.start_line, message: a.message ?? '' }),
      ),
  };
}
