import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentInputsSchema } from '../../src/action/inputs.js';
import { task } from '../support/plans.js';

/** The agent job's inputs for task T1 (criterion `true`), one round of the claude-code backend. */
export function claudeCodeInputs(base: string, isolation: 'contained' | 'unisolated') {
  return AgentInputsSchema.parse({
    mode: 'agent',
    goal: '5',
    attempt: '1',
    'base-sha': base,
    task: JSON.stringify(task('T1', [], { criteria: [{ kind: 'command', run: 'true' }] })),
    backend: 'claude-code',
    command: '',
    'distinct-id': '',
    model: 'm',
    'max-turns': '5',
    'max-budget-usd': '1',
    'criteria-iterations': '1',
    'timeout-minutes': '5',
    knowledge: '[]',
    guidance: '',
    'output-dir': mkdtempSync(join(tmpdir(), 'gantry-out-')),
    'blocked-paths': '',
    'max-files': '200',
    'max-patch-bytes': '100000',
    'max-file-bytes': '100000',
    isolation,
    'allowed-hosts': '',
    pricing: '{}',
  });
}
