import { createHash } from 'node:crypto';
import { glob, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  combineCriteria,
  criterionLeaves,
  metricMeetsTarget,
  parseMetrics,
  type Criterion,
  type CriterionOutcome,
  type LeafResult,
} from '../../core/criteria.js';
import { runCommand } from '../run-command.js';
import type { Sandbox } from '../sandbox/sandbox.js';

export interface CriteriaContext {
  cwd: string;
  /** Default timeout of a criterion command without its own. */
  commandTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Criterion commands run as the agent: a criterion is no more trusted than the code it runs. */
  sandbox?: Sandbox | undefined;
}

export interface CriteriaReport {
  passed: boolean;
  outcomes: CriterionOutcome[];
  leaves: LeafResult[];
}

/** Evaluate every leaf in the workspace, then combine them with the core's rules. */
export async function evaluateCriteria(
  criteria: readonly Criterion[],
  ctx: CriteriaContext,
): Promise<CriteriaReport> {
  const leaves: LeafResult[] = [];
  for (const { path, criterion } of criterionLeaves(criteria))
    leaves.push({ path, ...(await evaluateLeaf(criterion, ctx)) });
  return { ...combineCriteria(criteria, leaves), leaves };
}

type Verdict = { passed: boolean; detail: string };
const TAIL = 1500;
const tail = (s: string) => (s.length > TAIL ? `…${s.slice(-TAIL)}` : s).trim();

async function evaluateLeaf(c: Criterion, ctx: CriteriaContext): Promise<Verdict> {
  switch (c.kind) {
    case 'command': {
      const r = await runCommand(c.run, {
        cwd: ctx.cwd,
        timeoutMs: (c.timeoutSec ?? 0) * 1000 || ctx.commandTimeoutMs,
        signal: ctx.signal,
        sandbox: ctx.sandbox,
      });
      if (r.timedOut) return { passed: false, detail: `\`${c.run}\` timed out\n${tail(r.output)}` };
      return {
        passed: r.exitCode === 0,
        detail: `\`${c.run}\` exited ${r.exitCode}${r.exitCode === 0 ? '' : `\n${tail(r.output)}`}`,
      };
    }
    case 'file':
      return checkFile(c, ctx.cwd);
    case 'grep':
      return grepFiles(c, ctx.cwd);
    case 'metric':
      return measure(c, ctx);
    case 'composite':
      // Composites are combined by the core from their leaves; criterionLeaves never yields one.
      return { passed: false, detail: 'composite criteria are combined from their leaves' };
  }
}

/**
 * A path of the workspace, or undefined when it would leave it, by name or through a symlink:
 * Gantry reads these files itself, so a link the agent planted must not lead it elsewhere.
 */
async function inside(cwd: string, path: string): Promise<string | undefined> {
  const full = resolve(cwd, path);
  if (!within(cwd, full)) return undefined;
  const real = await realpath(full).catch(() => full);
  return within(await realpath(cwd).catch(() => cwd), real) ? full : undefined;
}

function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return !rel.startsWith('..') && !isAbsolute(rel);
}

async function checkFile(c: Extract<Criterion, { kind: 'file' }>, cwd: string): Promise<Verdict> {
  const full = await inside(cwd, c.path);
  if (!full) return { passed: false, detail: `${c.path} is outside the repository` };
  const info = await stat(full).catch(() => undefined);
  const wantExists = c.exists ?? true;
  if (!info?.isFile())
    return {
      passed: !wantExists,
      detail: `${c.path} does not exist${wantExists ? '' : ', as required'}`,
    };
  if (!wantExists) return { passed: false, detail: `${c.path} exists but must not` };
  if (c.minBytes !== undefined && info.size < c.minBytes)
    return { passed: false, detail: `${c.path} is ${info.size} bytes, below ${c.minBytes}` };
  if (c.maxBytes !== undefined && info.size > c.maxBytes)
    return { passed: false, detail: `${c.path} is ${info.size} bytes, above ${c.maxBytes}` };
  if (c.sha256) {
    const hash = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
    if (hash !== c.sha256)
      return { passed: false, detail: `${c.path} has sha256 ${hash}, not ${c.sha256}` };
  }
  return { passed: true, detail: `${c.path} exists (${info.size} bytes)` };
}

async function grepFiles(c: Extract<Criterion, { kind: 'grep' }>, cwd: string): Promise<Verdict> {
  const pattern = new RegExp(c.pattern, 'mu');
  const matches: string[] = [];
  let files = 0;
  for await (const rel of glob(c.in, {
    cwd,
    exclude: (p) => p === 'node_modules' || p === '.git',
  })) {
    const full = await inside(cwd, rel);
    if (!full) continue;
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) continue;
    files++;
    const lines = (await readFile(full, 'utf8')).split('\n');
    const at = lines.findIndex((l) => pattern.test(l));
    if (at >= 0) matches.push(`${rel}:${at + 1}`);
  }
  const where = matches.slice(0, 5).join(', ');
  if (c.present)
    return matches.length
      ? { passed: true, detail: `/${c.pattern}/ found in ${where}` }
      : { passed: false, detail: `/${c.pattern}/ not found in ${c.in} (${files} files)` };
  return matches.length
    ? { passed: false, detail: `/${c.pattern}/ must be absent but is in ${where}` }
    : { passed: true, detail: `/${c.pattern}/ absent from ${c.in} (${files} files)` };
}

/** Run the metric command until a reading misses the target or `consecutive` readings meet it. */
async function measure(
  c: Extract<Criterion, { kind: 'metric' }>,
  ctx: CriteriaContext,
): Promise<Verdict> {
  const readings: string[] = [];
  for (let k = 0; k < c.consecutive; k++) {
    const r = await runCommand(c.run, {
      cwd: ctx.cwd,
      timeoutMs: ctx.commandTimeoutMs,
      signal: ctx.signal,
      sandbox: ctx.sandbox,
    });
    const value = parseMetrics(r.output).get(c.name);
    if (r.exitCode !== 0 || value === undefined) {
      readings.push(r.exitCode !== 0 ? `exit ${r.exitCode}` : 'no reading');
      return {
        passed: false,
        detail: `${c.name}: ${readings.join(', ')} (printed no \`METRIC ${c.name}=…\`)\n${tail(r.output)}`,
      };
    }
    readings.push(String(value));
    if (!metricMeetsTarget(value, c))
      return {
        passed: false,
        detail: `${c.name}: ${readings.join(', ')}; needs ${c.direction} ${c.target}, ${c.consecutive} times in a row`,
      };
  }
  return {
    passed: true,
    detail: `${c.name}: ${readings.join(', ')} met ${c.direction} ${c.target} ${c.consecutive} times in a row`,
  };
}
