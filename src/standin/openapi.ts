import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * GitHub's official OpenAPI description (`@octokit/openapi`) and webhook schemas
 * (`@octokit/openapi-webhooks`), used to check that the stand-in is asked what GitHub would be
 * asked and sends what GitHub would send. Loading takes a few hundred milliseconds; validators
 * are compiled per operation on first use.
 */

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

interface Content {
  $ref?: string;
  content?: Record<
    string,
    { schema?: unknown; examples?: Record<string, { $ref?: string; value?: unknown }> }
  >;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: unknown }> };
  responses?: Record<string, Content>;
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: {
    parameters: Record<string, Parameter>;
    responses?: Record<string, Content>;
    examples?: Record<string, { value?: unknown }>;
  };
  webhooks?: Record<string, { post?: { requestBody?: { content: Record<string, unknown> } } }>;
}

export interface Matched {
  /** The path template, e.g. `/repos/{owner}/{repo}/merges`. */
  template: string;
  operationId: string;
  params: Record<string, string>;
}

export type RequestCheck =
  | ({ ok: true } & Matched)
  | { ok: false; status: 404 | 422; problems: string[]; operationId?: string | undefined };

const require = createRequire(import.meta.url);
const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head']);
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** One path template, as segments to match. */
interface Route {
  template: string;
  segments: (string | { param: string })[];
}

export class OpenApi {
  private readonly ajv = new Ajv({
    strict: false,
    allErrors: true,
    // GitHub checks formats loosely; the stand-in checks shapes, types and required fields.
    validateFormats: false,
  });
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(
    private readonly spec: Spec,
    private readonly webhooks: Spec,
  ) {
    this.ajv.addSchema(spec, 'api');
    this.ajv.addSchema(webhooks, 'webhooks');
    this.routes = Object.keys(spec.paths).map((template) => ({
      template,
      segments: template
        .split('/')
        .slice(1)
        .map((s) => {
          const m = /^\{([^}]+)\}$/.exec(s);
          return m ? { param: m[1]! } : s;
        }),
    }));
    // Literal segments first: `/repos/{o}/{r}/git/refs` before `/repos/{o}/{r}/{anything}`.
    this.routes.sort((a, b) => literalCount(b) - literalCount(a));
  }

  /** Read GitHub's descriptions from the installed packages. */
  static load(): OpenApi {
    const read = (id: string) =>
      nullableWithoutType(JSON.parse(readFileSync(require.resolve(id), 'utf8'))) as Spec;
    return new OpenApi(
      read('@octokit/openapi/generated/api.github.com.json'),
      read('@octokit/openapi-webhooks/generated/api.github.com.json'),
    );
  }

  /** The operation a request is for, with its path parameters decoded. */
  match(method: string, pathname: string): Matched | undefined {
    const m = method.toLowerCase();
    const parts = pathname.split('/').slice(1);
    for (const route of this.routes) {
      const op = this.spec.paths[route.template]![m];
      if (!op || !METHODS.has(m)) continue;
      const params = matchSegments(route.segments, parts);
      if (params) return { template: route.template, operationId: op.operationId, params };
    }
    return undefined;
  }

  /**
   * Check a request as GitHub would: an unknown route is 404; a path or query parameter of the
   * wrong type, a missing required parameter, or a body that does not match the operation's
   * schema is 422 with the problems named.
   */
  checkRequest(method: string, url: URL, body: unknown): RequestCheck {
    const matched = this.match(method, url.pathname);
    if (!matched)
      return { ok: false, status: 404, problems: [`no GitHub endpoint ${method} ${url.pathname}`] };
    const op = this.spec.paths[matched.template]![method.toLowerCase()]!;
    const problems: string[] = [];
    const params = (op.parameters ?? []).map((p) => this.resolve(p));
    for (const p of params) {
      if (p.in !== 'path' && p.in !== 'query') continue;
      const raw = p.in === 'path' ? matched.params[p.name] : url.searchParams.get(p.name);
      if (raw === undefined || raw === null) {
        if (p.required) problems.push(`${p.in} parameter \`${p.name}\` is required`);
        continue;
      }
      const problem = checkScalar(raw, p.schema ?? {});
      if (problem) problems.push(`${p.in} parameter \`${p.name}\`: ${problem}`);
    }
    const json = op.requestBody?.content['application/json'];
    if (json?.schema) {
      if (body === undefined) {
        if (op.requestBody?.required) problems.push('a JSON body is required');
      } else {
        const key = `api#/paths/${pointer(matched.template)}/${method.toLowerCase()}/requestBody/content/application~1json/schema`;
        const validate = this.validator(key);
        if (!validate(body)) problems.push(...describe(validate.errors, 'body'));
      }
    }
    return problems.length
      ? { ok: false, status: 422, problems, operationId: matched.operationId }
      : { ok: true, ...matched };
  }

  /**
   * A JSON answer made whole and checked against the schema GitHub documents for that operation
   * and status, so the stand-in's answers have the shapes the App will get from GitHub. Required
   * fields the stand-in does not track (a repository has some eighty) are taken from GitHub's
   * own example answer; only required ones, so an optional field with a meaning (an issue's
   * `pull_request`) is never borrowed. What is still wrong is returned as problems. Statuses and
   * bodies GitHub documents no JSON schema for are passed as they are.
   */
  completeAnswer(
    method: string,
    template: string,
    status: number,
    body: unknown,
  ): { body: unknown; problems: string[] } {
    const m = method.toLowerCase();
    const response = this.spec.paths[template]?.[m]?.responses?.[String(status)];
    if (!response || body === undefined || typeof body === 'string' || body instanceof Uint8Array)
      return { body, problems: [] };
    let key = `api#/paths/${pointer(template)}/${m}/responses/${status}/content/application~1json/schema`;
    let content = response.content;
    if (response.$ref) {
      const name = response.$ref.replace('#/components/responses/', '');
      content = this.spec.components.responses?.[name]?.content;
      key = `api#/components/responses/${pointer(name)}/content/application~1json/schema`;
    }
    const json = content?.['application/json'];
    if (!json?.schema) return { body, problems: [] };
    const validate = this.validator(key);
    const example = this.example(json.examples?.default);
    const known = SPEC_BUGS.filter((b) => b.method === m && b.template === template);
    for (let round = 0; round < 8; round++) {
      if (validate(body)) return { body, problems: [] };
      const errors = (validate.errors ?? []).filter(
        (e) => !known.some((b) => b.instancePath.test(e.instancePath)),
      );
      if (!errors.length) return { body, problems: [] };
      let filled = 0;
      for (const e of errors) {
        if (e.keyword !== 'required' || example === undefined) continue;
        const field = (e.params as { missingProperty: string }).missingProperty;
        const target = at(body, e.instancePath, false);
        const source = at(example, e.instancePath, true);
        if (isObject(target) && isObject(source) && field in source && !(field in target)) {
          target[field] = structuredClone(source[field]);
          filled++;
        }
      }
      if (!filled) return { body, problems: describe(errors, `${status} answer`) };
    }
    return { body, problems: describe(validate.errors, `${status} answer`) };
  }

  private example(ref: { $ref?: string; value?: unknown } | undefined): unknown {
    if (ref?.$ref)
      return this.spec.components.examples?.[ref.$ref.replace('#/components/examples/', '')]?.value;
    return ref?.value;
  }

  /**
   * Check a webhook payload against GitHub's schema for its event and action. Undefined when the
   * schemas have no entry for it (then it is not checked; the caller says so).
   */
  checkWebhook(event: string, payload: Record<string, unknown>): string[] | undefined {
    const name = `${event.replace(/_/g, '-')}${typeof payload.action === 'string' ? `-${payload.action.replace(/_/g, '-')}` : ''}`;
    const hook = this.webhooks.webhooks?.[name]?.post?.requestBody?.content['application/json'];
    if (!hook) return undefined;
    const validate = this.validator(
      `webhooks#/webhooks/${pointer(name)}/post/requestBody/content/application~1json/schema`,
    );
    return validate(payload) ? [] : describe(validate.errors, `${name} payload`);
  }

  private validator(ref: string): ValidateFunction {
    let v = this.compiled.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, v);
    }
    return v;
  }

  private resolve(p: Parameter): Parameter {
    if (!p.$ref) return p;
    const name = p.$ref.replace('#/components/parameters/', '');
    const found = this.spec.components.parameters[name];
    if (!found) throw new Error(`the OpenAPI description has no parameter ${p.$ref}`);
    return found;
  }
}

/**
 * Where GitHub's description (in `@octokit/openapi` 23) says what GitHub does not do: answers are
 * not checked there. Each entry says why.
 */
const SPEC_BUGS: { method: string; template: string; instancePath: RegExp; why: string }[] = [
  {
    method: 'get',
    template: '/app/installations',
    instancePath: /^\/\d+\/account$/,
    why: 'the inlined schema makes the account allOf [user, enterprise]; the installation schema says anyOf',
  },
];

function literalCount(r: Route): number {
  return r.segments.filter((s) => typeof s === 'string').length;
}

/**
 * Match path segments; a parameter takes one segment, except the last one of a template, which
 * may take the rest (git refs such as `heads/feature/x` are sent with their slashes).
 */
function matchSegments(
  segments: Route['segments'],
  parts: string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const last = segments.at(-1);
  const greedy =
    typeof last === 'object' && ['ref', 'path', 'basehead', 'branch'].includes(last.param);
  if (parts.length !== segments.length && !(greedy && parts.length > segments.length))
    return undefined;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const isLast = i === segments.length - 1;
    const part = isLast && greedy ? parts.slice(i).join('/') : parts[i]!;
    if (typeof s === 'string') {
      if (s !== part) return undefined;
    } else {
      if (!part) return undefined;
      try {
        params[s.param] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    }
  }
  return params;
}

/** A path or query value (always text) against its schema: type, enum, bounds. */
function checkScalar(raw: string, schema: Record<string, unknown>): string | undefined {
  const type = schema.type;
  const values = schema.enum as unknown[] | undefined;
  if (type === 'integer' && !/^-?\d+$/.test(raw)) return `\`${raw}\` is not an integer`;
  if (type === 'number' && Number.isNaN(Number(raw))) return `\`${raw}\` is not a number`;
  if (type === 'boolean' && raw !== 'true' && raw !== 'false') return `\`${raw}\` is not a boolean`;
  if (values && !values.map(String).includes(raw))
    return `\`${raw}\` is not one of ${values.map((v) => `\`${String(v)}\``).join(', ')}`;
  if ((type === 'integer' || type === 'number') && typeof schema.maximum === 'number')
    if (Number(raw) > schema.maximum) return `${raw} is above the maximum ${schema.maximum}`;
  if ((type === 'integer' || type === 'number') && typeof schema.minimum === 'number')
    if (Number(raw) < schema.minimum) return `${raw} is below the minimum ${schema.minimum}`;
  return undefined;
}

function describe(errors: ErrorObject[] | null | undefined, what: string): string[] {
  return (errors ?? []).slice(0, 10).map((e) => {
    const where = e.instancePath ? `${what}${e.instancePath.replace(/\//g, '.')}` : what;
    return `${where} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (\`${String((e.params as { additionalProperty?: string }).additionalProperty)}\`)` : ''}`;
  });
}

/**
 * OpenAPI 3.0's `nullable: true` next to `oneOf`/`allOf` and no `type` (GitHub's description has
 * some) is not something Ajv accepts: such a schema becomes "that, or null".
 */
function nullableWithoutType(node: unknown): unknown {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = nullableWithoutType(node[i]);
    return node;
  }
  if (typeof node !== 'object' || node === null) return node;
  const o = node as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = nullableWithoutType(o[k]);
  if (o.nullable === true && o.type === undefined) {
    const { nullable: _n, ...rest } = o;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return o;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** The value at a JSON pointer (`/0/owner`); in an example, any array index means its first item. */
function at(root: unknown, path: string, example: boolean): unknown {
  let node = root;
  for (const raw of path.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[example ? 0 : Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
  }
  return node;
}
