/**
 * The scripted agent: a command for the Action's `command` backend that plays back what a
 * scenario says each task's attempts do, instead of calling a model. It runs as a plain Node
 * script (Node strips the types), so it imports nothing of Gantry's:
 *
 *   node scripted-agent.ts script.json
 *   node scripted-agent.ts --script-base64 <the script's JSON, base64>
 *
 * The second form carries the script in the command itself: a contained agent runs as a user of
 * its own, which cannot read the stand-in's temporary files.
 * The script maps a task id to its attempts in order; each attempt may run a command, writes or
 * appends files, says something (its summary) and exits with a code. An attempt past the list repeats the last one.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AgentStep {
  /** A shell command to run first (what an agent might try, such as a push). */
  run?: string;
  write?: Record<string, string>;
  append?: Record<string, string>;
  say?: string;
  exit?: number;
}

export type AgentScript = Record<string, AgentStep[]>;

const [file, inline] = process.argv.slice(2);
const task = process.env.GANTRY_TASK_ID ?? '';
const attempt = Number(process.env.GANTRY_ATTEMPT ?? '1');
if (file) {
  const text =
    file === '--script-base64'
      ? Buffer.from(inline ?? '', 'base64').toString('utf8')
      : readFileSync(file, 'utf8');
  const script = JSON.parse(text) as AgentScript;
  const steps = script[task];
  if (!steps?.length) {
    console.log(`the script has nothing for ${task}`);
    process.exit(1);
  }
  const step = steps[Math.min(attempt, steps.length) - 1]!;
  if (step.run) {
    const r = spawnSync('sh', ['-c', step.run], { encoding: 'utf8' });
    console.log(`${step.run}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  }
  for (const [path, text] of Object.entries(step.write ?? {})) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  for (const [path, text] of Object.entries(step.append ?? {})) {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, text);
  }
  console.log(step.say ?? `${task} attempt ${attempt}: done as scripted`);
  process.exit(step.exit ?? 0);
}
