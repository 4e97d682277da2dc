/** A valid `gantry-result.json`, as the Action writes it, for goal 1. */
export function taskResult(taskId: string, attempt: number, over: Record<string, unknown> = {}) {
  return {
    version: 1,
    goal: 1,
    taskId,
    attempt,
    status: 'success',
    reason: 'All criteria passed.',
    backend: 'claude-code',
    model: 'claude-sonnet-5-5',
    iterations: 1,
    criteria: { passed: true, outcomes: [] },
    summary: 'Added greet().',
    filesChanged: ['src/greet.ts'],
    patchBytes: 120,
    findings: [],
    usage: {
      inputTokens: 1000,
      outputTokens: 200,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.31,
      turns: 4,
    },
    ...over,
  };
}
