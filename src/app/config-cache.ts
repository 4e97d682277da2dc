import { ConfigError } from './config.js';
import { readRawConfig } from './goal-facts.js';
import type { GitHubPort } from './github/github-port.js';

/**
 * How long a kept config is used without reading it again. A `push` to the default branch that
 * touches `.github/gantry.yml` drops it at once; this bounds how long a lost push webhook (GitHub
 * does not redeliver), or a change GitHub sends no webhook for (an organization's `.github`
 * repository the App is not installed on), goes unseen.
 */
export const CONFIG_TTL_MS = 10 * 60_000;

type Kept = { at: number; raw: unknown } | { at: number; error: ConfigError };

/**
 * Each repository's `.github/gantry.yml` as last read, in this process: the reconciles of
 * Gantry's own consequences (a run finished, CI reported) use it instead of reading the file again.
 * A file that is not YAML is kept as its ConfigError; a failure to reach GitHub is not kept.
 */
export class ConfigCache {
  private readonly kept = new Map<string, Kept>();
  /** Counts forgets: a read that began before one does not keep what it read. */
  private epoch = 0;

  constructor(
    private readonly ttlMs = CONFIG_TTL_MS,
    private readonly capacity = 1000,
  ) {}

  /**
   * The raw config of `repo` (`owner/name`), as `readRawConfig` gives it: the kept one when
   * `cached` is set and it is fresh, otherwise read now (and kept).
   */
  async read(
    github: GitHubPort,
    repo: string,
    now: number,
    { cached }: { cached: boolean },
  ): Promise<unknown> {
    repo = repo.toLowerCase(); // GitHub's names are case-insensitive
    const kept = this.kept.get(repo);
    if (cached && kept && now - kept.at < this.ttlMs) {
      if ('error' in kept) throw kept.error;
      return structuredClone(kept.raw);
    }
    const epoch = this.epoch;
    try {
      const raw = await readRawConfig(github);
      if (epoch === this.epoch) this.keep(repo, { at: now, raw: structuredClone(raw) });
      return raw;
    } catch (e) {
      if (e instanceof ConfigError && epoch === this.epoch) this.keep(repo, { at: now, error: e });
      else this.kept.delete(repo);
      throw e;
    }
  }

  /** The config of `repo` changed (or may have): the next reconcile reads it. */
  forget(repo: string): void {
    this.epoch++;
    this.kept.delete(repo.toLowerCase());
  }

  /** Every repository of `owner`: their configs may extend its `.github` repository's. */
  forgetOwner(owner: string): void {
    this.epoch++;
    for (const repo of [...this.kept.keys()])
      if (repo.startsWith(`${owner.toLowerCase()}/`)) this.kept.delete(repo);
  }

  private keep(repo: string, entry: Kept): void {
    this.kept.delete(repo);
    this.kept.set(repo, entry);
    if (this.kept.size > this.capacity) {
      const oldest = this.kept.keys().next().value;
      if (oldest !== undefined) this.kept.delete(oldest);
    }
  }
}
