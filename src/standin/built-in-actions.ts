import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { parse } from 'yaml';
import { z } from 'zod';
import type { GitHost } from './git-host.js';
import type { StepOutcome, StepPlace, StepProcesses } from './step-processes.js';
import type { WorkflowRun } from './workflow-run.js';

/** What a `uses:` step is given to run with. */
export interface StepContext {
  run: WorkflowRun;
  /** `with:`, its expressions evaluated. */
  given: Record<string, string>;
  /** `env:`, its expressions evaluated. */
  env: Record<string, string>;
  where: StepPlace;
  /** The job's `GITHUB_TOKEN`. */
  token: string;
  /** An expression text (`${{ github.token }}`) in this step's context, as action defaults are. */
  evaluate: (text: string) => string;
  git: GitHost;
  /** A repository's URL over HTTP. */
  gitUrl: (repo: string) => string;
  /** The Action's directory (`action.yml` and its bundle). */
  actionDir: string;
  processes: StepProcesses;
  nextId: () => number;
  now: () => number;
}

export type BuiltInAction = (s: StepContext) => Promise<StepOutcome>;

const none: StepOutcome = { ok: true, outputs: {} };

async function checkout({ run, given, where, token, git, gitUrl }: StepContext) {
  const sha = await git.resolve(run.repo, given.ref || run.headSha);
  if (!sha) throw new Error(`actions/checkout: no ref ${given.ref}`);
  await git.clone(sha, where.workspace, {
    url: gitUrl(run.repo),
    token,
    persist: given['persist-credentials'] !== 'false',
  });
  where.log(`checked out ${sha}`);
  return none;
}

async function uploadArtifact({ run, given, where, nextId, now }: StepContext) {
  const files = await readTree(resolve(where.workspace, given.path ?? ''));
  const name = given.name || 'artifact';
  if (run.artifacts.some((a) => a.name === name) && given.overwrite !== 'true')
    throw new Error(
      `Failed to CreateArtifact: an artifact with the name ${name} already exists in this run; set overwrite: true to replace it`,
    );
  if (!Object.keys(files).length) {
    where.log(`##[warning]No files were found with the provided path: ${given.path}`);
    return none;
  }
  run.artifacts = run.artifacts.filter((a) => a.name !== name);
  run.artifacts.push({ id: nextId(), name, zip: zipSync(files), createdAt: now() });
  where.log(`uploaded ${name} (${Object.keys(files).length} files)`);
  return none;
}

async function downloadArtifact({ run, given, where }: StepContext) {
  const artifact = run.artifacts.find((a) => a.name === given.name);
  if (!artifact) throw new Error(`Unable to download artifact(s): ${given.name} not found`);
  for (const [path, bytes] of Object.entries(unzipSync(artifact.zip))) {
    const to = join(resolve(where.workspace, given.path ?? ''), path);
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, bytes);
  }
  return none;
}

const actionMetadata = z.object({
  inputs: z.record(
    z.string(),
    z
      .object({
        default: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
      })
      .nullable(),
  ),
  runs: z.object({ main: z.string() }),
});

/**
 * The Action's bundle, with the runner's env contract: `INPUT_*` with `action.yml`'s defaults,
 * whose expressions (`${{ github.token }}`) are evaluated in the step's context. An input the
 * step gives, even empty, replaces the default.
 */
async function gantryAction({
  run,
  given,
  env,
  where,
  actionDir,
  processes,
  evaluate,
}: StepContext) {
  const file = join(actionDir, 'action.yml');
  const parsed = actionMetadata.safeParse(parse(await readFile(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${file} is not the Action's metadata: ${parsed.error.issues[0]?.message}`);
  const meta = parsed.data;
  const unknown = Object.keys(given).filter((k) => !(k in meta.inputs));
  for (const k of unknown) where.log(`##[warning]Unexpected input(s) '${k}'`);
  const inputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(meta.inputs)) {
    const v =
      k in given ? given[k] : spec?.default === undefined ? undefined : evaluate(spec.default);
    if (v !== undefined) inputs[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  }
  return processes.node(run, join(actionDir, meta.runs.main), where, { ...inputs, ...env });
}

/** The actions a task workflow uses, by `uses:` name (the part before `@`). */
export const BUILT_IN_ACTIONS: ReadonlyMap<string, BuiltInAction> = new Map([
  ['actions/checkout', checkout],
  ['actions/upload-artifact', uploadArtifact],
  ['actions/download-artifact', downloadArtifact],
]);

/** The GitHub Action this repository ships, by its `uses:` name. */
export const GANTRY_ACTION = 'gantry-dev/gantry';

/**
 * The built-in action a `uses:` names (`owner/name@ref`); `action` is the name that means
 * Gantry's own Action. Anything else is an error that says what the stand-in runs.
 */
export function builtInAction(uses: string, action = GANTRY_ACTION): BuiltInAction {
  const at = uses.lastIndexOf('@');
  const name = at > 0 ? uses.slice(0, at) : undefined;
  const found = name === action ? gantryAction : name && BUILT_IN_ACTIONS.get(name);
  if (found) return found;
  const known = [...BUILT_IN_ACTIONS.keys(), action].join(', ');
  throw new Error(
    `the stand-in does not run \`uses: ${uses}\`: it runs ${known} (each as \`name@ref\`); do the work in a \`run:\` step instead`,
  );
}

/** Every file under `root`, by path relative to it (what upload-artifact zips). */
async function readTree(root: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  let entries;
  try {
    if ((await stat(root)).isFile())
      return { [basename(root)]: new Uint8Array(await readFile(root)) };
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries)
    if (e.isFile()) {
      const full = join(e.parentPath, e.name);
      out[relative(root, full)] = new Uint8Array(await readFile(full));
    }
  return out;
}
