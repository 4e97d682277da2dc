import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Probot } from 'probot';
import { standInWith } from '../support/standin-scenario.js';

const world = () => standInWith('octo/paging', { 'README.md': '# paging\n' });

describe('the stand-in authenticates as GitHub does, and pages its lists', () => {
  it('a JWT from the App’s private key gets an installation token; the JWT alone reaches only the App endpoints', async () => {
    const { standIn } = await world();
    const probot = new Probot({
      appId: standIn.app.id,
      privateKey: standIn.app.privateKey,
      baseUrl: standIn.apiUrl,
      log: pino({ level: 'silent' }),
    });
    const asApp = await probot.auth(); // signs a JWT with the private key
    const { token: jwt } = (await asApp.auth({ type: 'app' })) as { token: string };
    const { data: installations } = await asApp.rest.apps.listInstallations();
    expect(installations.map((i) => i.id)).toEqual([1]);
    const { data: made } = await asApp.rest.apps.createInstallationAccessToken({
      installation_id: 1,
    });
    // The JWT cannot act on a repository, nor use GraphQL.
    const raw = standIn.client(jwt);
    await expect(
      raw.rest.issues.listForRepo({ owner: 'octo', repo: 'paging' }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(raw.graphql('query { viewer { login } }')).rejects.toMatchObject({
      status: 401,
    });
    expect(standIn.server.invalid).toHaveLength(2);
    // The installation token can, as the App's bot, and not on the App endpoints.
    const bot = await probot.auth(1);
    const { data: issues } = await bot.rest.issues.listForRepo({ owner: 'octo', repo: 'paging' });
    expect(issues).toEqual([]);
    expect(standIn.server.requests.at(-1)).toEqual({
      by: 'gantry[bot]',
      call: 'GET /repos/octo/paging/issues',
    });
    const byToken = standIn.client(made.token);
    await expect(byToken.rest.apps.listInstallations()).rejects.toMatchObject({ status: 401 });
    expect(Date.parse(made.expires_at) - Date.now()).toBeGreaterThan(59 * 60_000);
    // A JWT signed by another key, or one that lives too long, is refused.
    await expect(standIn.client(forged(jwt)).rest.apps.listInstallations()).rejects.toMatchObject({
      status: 401,
    });
  });

  it('lists come a page at a time with a Link header, so octokit.paginate reads them all', async () => {
    const { standIn, repo } = await world();
    const issue = standIn.store.addIssue(repo, 'maint', 'Many comments', '');
    for (let k = 0; k < 130; k++)
      issue.comments.push({
        id: 5000 + k,
        body: `c${k}`,
        user: 'maint',
        createdAt: 0,
        updatedAt: 0,
      });
    const maint = standIn.as('maint');
    const first = await maint.rest.issues.listComments({
      owner: 'octo',
      repo: 'paging',
      issue_number: issue.number,
      per_page: 100,
    });
    expect(first.data).toHaveLength(100);
    expect(first.headers.link).toContain('rel="next"');
    const all = await maint.paginate(maint.rest.issues.listComments, {
      owner: 'octo',
      repo: 'paging',
      issue_number: issue.number,
      per_page: 100,
    });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 130 }, (_, k) => `c${k}`));
  });
});

/** The same claims with the signature of another key's token: not the App's. */
function forged(jwt: string): string {
  const [head, body] = jwt.split('.');
  return `${head}.${body}.${Buffer.from('not a signature').toString('base64url')}`;
}
