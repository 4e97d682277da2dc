import type { Criterion } from '../criteria.js';
import { inert } from '../inert.js';

/**
 * A task's completion criteria as markdown list lines, exactly as the Action will check them:
 * commands, paths and patterns verbatim in code spans, the other parameters in words.
 */
export function criteriaLines(criteria: readonly Criterion[], indent = ''): string[] {
  return criteria.flatMap((c) => {
    const line = `${indent}- ${describe(c)}`;
    if (c.kind !== 'composite') return [line];
    return [line, ...criteriaLines(c.of, `${indent}  `)];
  });
}

const code = (text: string) => inert(text, 'code');

function describe(c: Criterion): string {
  switch (c.kind) {
    case 'command':
      return `${code(c.run)} exits 0${c.timeoutSec !== undefined ? ` within ${c.timeoutSec} s` : ''}`;
    case 'file': {
      if (c.exists === false) return `file ${code(c.path)} does not exist`;
      const size = [
        c.minBytes !== undefined ? `at least ${c.minBytes} bytes` : '',
        c.maxBytes !== undefined ? `at most ${c.maxBytes} bytes` : '',
      ].filter(Boolean);
      return [
        `file ${code(c.path)} exists`,
        size.length ? `, ${size.join(' and ')}` : '',
        c.sha256 ? `, with SHA-256 ${code(c.sha256)}` : '',
      ].join('');
    }
    case 'grep':
      return `${c.present ? 'a' : 'no'} line in the files ${code(c.in)} matches the regular expression ${code(c.pattern)}`;
    case 'metric':
      return `${code(c.run)} prints \`METRIC ${c.name}=…\` ${c.direction.replace('-', ' ')} ${c.target}, ${c.consecutive} time${c.consecutive === 1 ? '' : 's'} in a row`;
    case 'composite':
      return c.mode === 'all'
        ? 'all of:'
        : c.mode === 'any'
          ? 'any of:'
          : `at least ${c.n ?? c.of.length} of:`;
  }
}
