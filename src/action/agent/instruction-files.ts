import { git } from '../git.js';

/** The repository's instruction files that every agent gets, in this order, where present. */
export const INSTRUCTION_FILES = ['CLAUDE.md', 'AGENTS.md', '.github/copilot-instructions.md'];

/** What of each file reaches the prompt: its first this many characters. */
export const INSTRUCTION_CHARS = 16_000;
/** A larger file is not read at all (the agent can still open it in the checkout). */
const READ_BYTES = 1024 * 1024;

export interface InstructionFile {
  path: string;
  /** The file's text, cut to `INSTRUCTION_CHARS` with a note saying so; or why it is left out. */
  text: string;
}

/**
 * The instruction files as committed at `base`, read from git rather than the work tree: a file
 * that is a symlink (to `/proc/self/environ`, say) is never followed, and nothing the agent
 * does later changes what it was told. Repository content, so as trustworthy as the code: the
 * prompt delimits it.
 */
export async function readInstructionFiles(
  workspace: string,
  base: string,
): Promise<InstructionFile[]> {
  const listing = await git(workspace, ['ls-tree', '-z', '-l', base, '--', ...INSTRUCTION_FILES]);
  const entries = new Map<string, { mode: string; oid: string; size: number }>();
  for (const line of listing.split('\0').filter(Boolean)) {
    // `<mode> <type> <oid> <size>\t<path>`
    const m = /^(\d+) \w+ ([0-9a-f]+) +(\d+|-)\t(.*)$/s.exec(line);
    if (m) entries.set(m[4]!, { mode: m[1]!, oid: m[2]!, size: Number(m[3]) });
  }
  const files: InstructionFile[] = [];
  for (const path of INSTRUCTION_FILES) {
    const entry = entries.get(path);
    if (!entry) continue;
    if (entry.mode !== '100644' && entry.mode !== '100755') {
      files.push({ path, text: '[not shown: it is not a regular file (a symlink?)]' });
      continue;
    }
    if (entry.size > READ_BYTES) {
      files.push({
        path,
        text: `[not shown: it has ${entry.size} bytes; read the file itself for what concerns your task]`,
      });
      continue;
    }
    const text = await git(workspace, ['cat-file', 'blob', entry.oid]);
    if (text.includes('\0')) {
      files.push({ path, text: '[not shown: it is not text]' });
      continue;
    }
    files.push({ path, text: capped(text.replace(/\r\n?/g, '\n').trim()) });
  }
  return files;
}

function capped(text: string): string {
  if (text.length <= INSTRUCTION_CHARS) return text;
  return `${text.slice(0, INSTRUCTION_CHARS)}\n[… ${text.length - INSTRUCTION_CHARS} more characters not shown: read the file itself for the rest]`;
}
