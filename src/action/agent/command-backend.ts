import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../run-command.js';
import {
  zeroUsage,
  type AgentBackend,
  type AgentOutcome,
  type AgentRound,
  type ModelAccess,
} from './backend.js';

/**
 * Any command as the agent (a script, another agent CLI). It gets the prompt in a file named by
 * `GANTRY_PROMPT_FILE` (the round number in `GANTRY_ROUND`, the task and attempt in `GANTRY_TASK_ID`
 * and `GANTRY_ATTEMPT`), runs in the repository without
 * secrets, and its output becomes the summary. When the job has a key, the command reaches the
 * model through the job's gateway (`ANTHROPIC_BASE_URL`, with a per-run token as
 * `ANTHROPIC_API_KEY`), which counts what it spends; it reports no usage itself.
 */
export class CommandBackend implements AgentBackend {
  readonly name = 'command';

  constructor(
    private readonly command: string,
    private readonly workDir: string,
    private readonly task: { id: string; attempt: number },
    private readonly gateway?: ModelAccess,
  ) {}

  async run(round: AgentRound): Promise<AgentOutcome> {
    // Kept with Gantry's output (uploaded with the result), and given to the agent where it can
    // read it: its own temp when contained (Gantry's output is hidden from it).
    await mkdir(this.workDir, { recursive: true });
    const name = `prompt-${round.round}.md`;
    await writeFile(join(this.workDir, name), round.prompt);
    const promptFile = join(round.sandbox.scratch ?? this.workDir, name);
    if (round.sandbox.scratch) await writeFile(promptFile, round.prompt);
    const r = await runCommand(this.command, {
      cwd: round.cwd,
      timeoutMs: 24 * 3600_000,
      signal: round.signal,
      sandbox: round.sandbox,
      env: {
        GANTRY_PROMPT_FILE: promptFile,
        GANTRY_ROUND: String(round.round),
        GANTRY_TASK_ID: this.task.id,
        GANTRY_ATTEMPT: String(this.task.attempt),
        ...(this.gateway
          ? { ANTHROPIC_BASE_URL: this.gateway.url, ANTHROPIC_API_KEY: this.gateway.token }
          : {}),
      },
    });
    const summary = r.output.trim().slice(-2000);
    const usage = { ...zeroUsage(), turns: 1 };
    if (r.timedOut) return { stop: 'timeout', summary, usage, findings: [] };
    if (r.exitCode !== 0)
      return {
        stop: 'error',
        summary,
        detail: `the command exited ${r.exitCode}`,
        usage,
        findings: [],
      };
    return { stop: 'done', summary, usage, findings: [] };
  }
}
