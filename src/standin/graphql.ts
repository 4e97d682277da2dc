import {
  buildClientSchema,
  execute,
  getOperationAST,
  Kind,
  OperationTypeNode,
  type GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import type { Answer } from './answer.js';
import type { Access } from './app-permissions.js';
import type { CheckSuite } from './ci-runner.js';
import { OverLimit, Typed, type GraphqlCaller } from './graphql-typed.js';
import { updateRefs, type RefSources } from './graphql-update-refs.js';
import { mutationCreatesContent } from './secondary-limits.js';
import { iso, type StoredComment, type Store } from './store.js';

type Request = { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;

/**
 * What a GraphQL answer reads besides the store: commits, and CI's check suites on them; and
 * what `updateRefs` changes (refs) and sends (pushes).
 */
export interface GraphqlSources extends RefSources {
  /** The commit a full sha names in a repository (`owner/name`), if it has it. */
  commit(fullName: string, oid: string): Promise<string | undefined>;
  suitesFor(fullName: string, sha: string): CheckSuite[];
}

let built: Promise<GraphQLSchema> | undefined;

/** GitHub's published schema (`@octokit/graphql-schema`), built once, on the first query. */
export function githubSchema(): Promise<GraphQLSchema> {
  built ??= import('@octokit/graphql-schema').then(({ schema }) =>
    buildClientSchema(schema.json as unknown as IntrospectionQuery),
  );
  return built;
}

const errorsOnly = (errors: readonly GraphQLFormattedError[]): Answer => ({
  status: 200,
  body: { errors },
});

/**
 * GitHub's GraphQL endpoint. Every query is parsed and validated against GitHub's published
 * schema, so an unknown field or an argument of the wrong type is answered as GitHub answers it
 * (200 with `errors`) and recorded as a problem. A valid query is executed against that schema:
 * the answer holds exactly the fields asked for, and a field the stand-in does not model is a
 * problem too. Modelled: marking a draft pull request ready for review, refs made, moved and
 * deleted in one mutation (`updateRefs`, in its own file), a comment's edit history
 * (who edited it, when), when an issue's body was last edited, and a commit's check suites (with
 * their runs) and commit statuses.
 */
export async function graphql(
  store: Store,
  request: Request,
  caller: GraphqlCaller,
  sources: GraphqlSources,
): Promise<Answer> {
  const query = request?.query;
  if (typeof query !== 'string') {
    caller.problem('POST /graphql without a query string');
    return errorsOnly([{ message: 'A query attribute must be specified and must be a string.' }]);
  }
  const schema = await githubSchema();
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (e) {
    return refused(caller, query, [e as GraphQLError]);
  }
  const invalid = validate(schema, document);
  if (invalid.length) return refused(caller, query, invalid);
  const operationName = typeof request?.operationName === 'string' ? request.operationName : null;
  const operation = getOperationAST(document, operationName);
  const creating = operation?.selectionSet.selections.some(
    (f) => f.kind === Kind.FIELD && mutationCreatesContent(f.name.value),
  );
  if (operation?.operation === OperationTypeNode.MUTATION && creating) {
    const limited = caller.creates();
    if (limited) return limited;
  }
  const result = await execute({
    schema,
    document,
    rootValue: root(store, caller, sources),
    variableValues: (request?.variables ?? {}) as Record<string, unknown>,
    operationName,
  });
  if (!result.errors?.length) return { status: 200, body: { data: result.data } };
  const over = result.errors.find((e) => e.originalError instanceof OverLimit);
  if (over) return (over.originalError as OverLimit).answer;
  // Variables of the wrong type are refused before anything runs: no `data` then.
  if (!('data' in result) || result.data === undefined)
    return refused(caller, query, result.errors);
  const errors = result.errors.map((e) => {
    const typed = e.originalError instanceof Typed ? e.originalError : undefined;
    if (typed?.type === 'MISSING_PAGINATION_BOUNDARIES')
      caller.problem(`GraphQL query GitHub refuses: ${e.message} (${short(query)})`);
    else if (!typed)
      caller.problem(`GraphQL the stand-in does not answer: ${e.message} (${short(query)})`);
    return { ...(typed && { type: typed.type }), ...e.toJSON() };
  });
  return { status: 200, body: { data: result.data, errors } };
}

function refused(caller: GraphqlCaller, query: string, errors: readonly GraphQLError[]): Answer {
  caller.problem(
    `GraphQL query GitHub refuses: ${errors.map((e) => e.message).join('; ')} (${short(query)})`,
  );
  return errorsOnly(errors.map((e) => e.toJSON()));
}

const short = (query: string) => query.replace(/\s+/g, ' ').slice(0, 200);

const notFound = (id: unknown) =>
  new Typed('NOT_FOUND', `Could not resolve to a node with the global id of '${String(id)}'`);

/**
 * The root fields the stand-in answers. graphql-js's default resolver reads a property, or calls
 * it with the field's arguments, so plain objects and functions describe the answer; `__typename`
 * picks the type of an interface (`Node`, `Actor`).
 */
function root(store: Store, caller: GraphqlCaller, sources: GraphqlSources) {
  const need = (permission: string, access: Access) => {
    if (caller.may(permission, access)) return;
    caller.problem(`GraphQL needs ${permission}: ${access}, which the App's installation lacks`);
    throw new Typed('FORBIDDEN', 'Resource not accessible by integration');
  };
  return {
    node: ({ id }: { id: string }) => {
      for (const repo of store.repos.values())
        for (const issue of repo.issues.values())
          for (const c of issue.comments)
            if (`IC_${c.id}` === id) {
              need('issues', 'read');
              return commentNode(c);
            }
      throw notFound(id);
    },
    repository: ({ owner, name }: { owner: string; name: string }) => {
      need('metadata', 'read');
      const repo = store.repo(owner, name);
      if (!repo)
        throw new Typed(
          'NOT_FOUND',
          `Could not resolve to a Repository with the name '${owner}/${name}'.`,
        );
      const fullName = `${repo.owner}/${repo.name}`;
      return {
        __typename: 'Repository',
        id: store.repoJson(repo).node_id,
        name: repo.name,
        // GitHub answers null for an object it does not have.
        object: async ({
          oid,
          expression,
        }: {
          oid?: string | null;
          expression?: string | null;
        }) => {
          need('contents', 'read');
          if (!oid) {
            caller.problem(
              `GraphQL object(expression: ${String(expression)}): the stand-in answers oid only`,
            );
            return null;
          }
          const sha = await sources.commit(fullName, oid);
          if (sha !== oid) return null;
          return commitNode(store, sha, sources.suitesFor(fullName, sha), need);
        },
        issue: ({ number }: { number: number }) => {
          need('issues', 'read');
          const issue = repo.issues.get(number);
          if (!issue)
            throw new Typed(
              'NOT_FOUND',
              `Could not resolve to an issue or pull request with the number of ${number}.`,
            );
          return {
            __typename: 'Issue',
            number: issue.number,
            title: issue.title,
            body: issue.body,
            lastEditedAt: issue.lastEditedAt === undefined ? null : iso(issue.lastEditedAt),
          };
        },
      };
    },
    markPullRequestReadyForReview: ({
      input,
    }: {
      input: { pullRequestId: string; clientMutationId?: string };
    }) => {
      need('pull_requests', 'write');
      for (const repo of store.repos.values())
        for (const p of repo.pulls.values())
          if (p.nodeId === input.pullRequestId) {
            p.draft = false;
            p.updatedAt = store.now();
            return {
              clientMutationId: input.clientMutationId ?? null,
              pullRequest: { __typename: 'PullRequest', number: p.number, isDraft: false },
            };
          }
      throw notFound(input.pullRequestId);
    },
    updateRefs: updateRefs(store, caller, sources, need),
  };
}

type Need = (permission: string, access: Access) => void;

/** `first` is required on GitHub's connections. */
function paginated(connection: string, first: number | null | undefined): number {
  if (first === undefined || first === null)
    throw new Typed(
      'MISSING_PAGINATION_BOUNDARIES',
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${connection}\` connection.`,
    );
  return Math.min(first, 100);
}

/**
 * A commit as a `GitObject`: its check suites (the stand-in's CI reports as GitHub Actions, each
 * suite with its runs) and its commit statuses (the stand-in's CI reports none: `status` is null,
 * as on GitHub for a commit without statuses).
 */
function commitNode(store: Store, sha: string, suites: CheckSuite[], need: Need) {
  return {
    __typename: 'Commit',
    oid: sha,
    status: () => {
      need('statuses', 'read');
      return null;
    },
    checkSuites: ({ first, after }: { first?: number | null; after?: string | null }) => {
      need('checks', 'read');
      const from = after === undefined || after === null ? 0 : Number(after) + 1;
      const page = suites.slice(from, from + paginated('checkSuites', first));
      return connection(page.map(suiteNode), from, suites.length);
    },
  };

  function suiteNode(s: CheckSuite) {
    const app = store.appJson(s.app.id, s.app.slug);
    return {
      __typename: 'CheckSuite',
      app: { __typename: 'App', databaseId: app.id, slug: app.slug, name: app.name },
      branch: { __typename: 'Ref', name: s.branch },
      status: s.status.toUpperCase(),
      conclusion: s.conclusion.toUpperCase(),
      checkRuns: ({
        first,
        after,
        filterBy,
      }: {
        first?: number | null;
        after?: string | null;
        filterBy?: { checkType?: string | null } | null;
      }) => {
        // Every run is the latest of its name unless one was re-run under the same name.
        const runs =
          filterBy?.checkType === 'ALL'
            ? s.runs
            : s.runs.filter((r, i) => !s.runs.slice(i + 1).some((x) => x.name === r.name));
        const from = after === undefined || after === null ? 0 : Number(after) + 1;
        const page = runs.slice(from, from + paginated('checkRuns', first));
        return connection(
          page.map((r) => ({
            __typename: 'CheckRun',
            databaseId: r.id,
            name: r.name,
            status: r.status.toUpperCase(),
            conclusion: r.conclusion.toUpperCase(),
            summary: r.summary,
          })),
          from,
          runs.length,
        );
      },
    };
  }
}

/** A page of a connection, its cursors the stand-in's own indexes (opaque to the App). */
function connection<T>(nodes: T[], from: number, total: number) {
  const end = from + nodes.length - 1;
  return {
    totalCount: total,
    pageInfo: {
      hasNextPage: end + 1 < total,
      hasPreviousPage: from > 0,
      startCursor: nodes.length ? String(from) : null,
      endCursor: nodes.length ? String(end) : null,
    },
    nodes,
  };
}

/** A comment as a `Node`: its author and its edit history, newest edit first as on GitHub. */
function commentNode(c: StoredComment) {
  const edits = [...(c.edits ?? [])].reverse();
  return {
    __typename: 'IssueComment',
    id: `IC_${c.id}`,
    body: c.body,
    author: actor(c.app ? `${c.app.slug}[bot]` : c.user),
    createdAt: iso(c.createdAt),
    editor: actor(c.edits?.at(-1)?.editor),
    userContentEdits: ({ first, after }: { first?: number | null; after?: string | null }) => {
      if (first === undefined || first === null)
        throw new Typed(
          'MISSING_PAGINATION_BOUNDARIES',
          'You must provide a `first` or `last` value to properly paginate the `userContentEdits` connection.',
        );
      // `after` is an index cursor: the stand-in's own, opaque to the App.
      const from = after === undefined || after === null ? 0 : Number(after) + 1;
      const page = edits.slice(from, from + Math.min(first, 100));
      const end = from + page.length - 1;
      return {
        totalCount: edits.length,
        pageInfo: {
          hasNextPage: end + 1 < edits.length,
          hasPreviousPage: from > 0,
          startCursor: page.length ? String(from) : null,
          endCursor: page.length ? String(end) : null,
        },
        nodes: page.map((e) => ({
          __typename: 'UserContentEdit',
          editedAt: iso(e.at),
          editor: actor(e.editor),
        })),
      };
    },
  };
}

/** GraphQL names a user by login, and a bot by its login without `[bot]`. */
function actor(login: string | undefined) {
  if (login === undefined) return null;
  return login.endsWith('[bot]')
    ? { __typename: 'Bot', login: login.slice(0, -'[bot]'.length) }
    : { __typename: 'User', login };
}
