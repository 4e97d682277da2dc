/**
 * Deterministic names Gantry keeps on GitHub, as value objects that round-trip:
 * goal branches `gantry/<issue>-<slug>` and task branches `gantry/<issue>/<task>/<attempt>`.
 */
export function slugify(title: string, max = 40): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return slug || 'goal';
}

export class GoalBranch {
  constructor(
    readonly issue: number,
    readonly slug: string,
  ) {}

  static forIssue(issue: number, title: string): GoalBranch {
    return new GoalBranch(issue, slugify(title));
  }

  static parse(name: string): GoalBranch | undefined {
    const m = /^gantry\/([1-9]\d*)-([a-z0-9]+(?:-[a-z0-9]+)*)$/.exec(name);
    return m ? new GoalBranch(Number(m[1]), m[2]!) : undefined;
  }

  toString(): string {
    return `gantry/${this.issue}-${this.slug}`;
  }
}

/**
 * The branch of a new goal on an issue whose earlier goal started (its branch, and perhaps its
 * PR, are kept): `gantry/7-add-x` -> `gantry/7-add-x-goal2` -> `gantry/7-add-x-goal3`.
 */
export function nextGoalBranch(branch: string): string {
  const m = /-goal(\d+)$/.exec(branch);
  return m ? `${branch.slice(0, m.index)}-goal${Number(m[1]) + 1}` : `${branch}-goal2`;
}

export class TaskBranch {
  constructor(
    readonly issue: number,
    readonly taskId: string,
    readonly attempt: number,
  ) {}

  static parse(name: string): TaskBranch | undefined {
    const m = /^gantry\/([1-9]\d*)\/(T[1-9]\d*)\/([1-9]\d*)$/.exec(name);
    return m ? new TaskBranch(Number(m[1]), m[2]!, Number(m[3])) : undefined;
  }

  toString(): string {
    return `gantry/${this.issue}/${this.taskId}/${this.attempt}`;
  }
}

/**
 * The ref of a candidate of a goal's speculative queue, `gantry/<issue>/queue/<n>`: under the
 * goal's namespace, apart from task branches (`gantry/<issue>/T<k>/<attempt>`) and the goal branch
 * (`gantry/<issue>-<slug>`). Numbers are never reused in a goal, so an existing ref of that name is
 * the candidate's own (made by a pass cut short before its state was written).
 */
export class CandidateRef {
  constructor(
    readonly issue: number,
    readonly n: number,
  ) {}

  static parse(name: string): CandidateRef | undefined {
    const m = /^gantry\/([1-9]\d*)\/queue\/([1-9]\d*)$/.exec(name);
    return m ? new CandidateRef(Number(m[1]), Number(m[2])) : undefined;
  }

  toString(): string {
    return `gantry/${this.issue}/queue/${this.n}`;
  }
}
