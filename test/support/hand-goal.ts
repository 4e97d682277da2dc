import type { Effect } from '../../src/core/effects.js';
import type { GoalEvent } from '../../src/core/events.js';
import {
  defaultGoalSettings,
  initGoal,
  type GoalSettings,
  type GoalState,
} from '../../src/core/goal.js';
import { owedEffects } from '../../src/core/owed-effects.js';
import { step } from '../../src/core/step.js';

/** A goal driven by hand through the reducer: the tests' own clock, the reasons of ignored events. */
export class HandGoal {
  state: GoalState;
  ignored: string[] = [];
  t = 0;

  constructor(
    settings: Partial<GoalSettings> = {},
    goal: { issue: number; title: string } = { issue: 42, title: 'Add a feature' },
  ) {
    this.state = initGoal({
      repo: 'o/r',
      ...goal,
      at: 0,
      settings: { ...defaultGoalSettings, ...settings },
    });
  }

  /**
   * Apply an event at the next tick (the actor is the maintainer unless the event names one);
   * returns every effect the new state owes.
   */
  protected apply(e: GoalEvent): Effect[] {
    const r = step(this.state, { ...e, at: ++this.t, actor: e.actor ?? 'maint' });
    this.state = r.state;
    if (r.ignored) this.ignored.push(r.ignored.message);
    return owedEffects(r.state, this.t);
  }

  status(id: string) {
    const i = this.state.plan!.tasks.findIndex((t) => t.id === id);
    return this.state.tasks.at(i)!.status;
  }
}
