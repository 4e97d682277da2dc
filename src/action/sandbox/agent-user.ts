import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Unix user every agent and criteria process runs as. */
export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

export const AGENT_USER = 'gantry-agent';

/**
 * Create (or reuse) the agent's user: a system user with a group of its own, no other groups,
 * no password and so no way to `su` or `sudo`. Two jobs on one machine may race to create it;
 * the loser finds it made. A user of that name that is in any other group, or is root, is
 * refused: Gantry will not run an agent with rights somebody else gave that name.
 */
export async function ensureAgentUser(name = AGENT_USER): Promise<AgentUser> {
  let user = await lookUp(name);
  if (!user) {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/bin/bash',
      name,
    ]).catch(async (e: { stderr?: string; message: string }) => {
      // Exit 9: made meanwhile by another job.
      if (await lookUp(name)) return;
      throw new Error(
        `could not create the agent's user ${name}: ${(e.stderr ?? e.message).trim()} (the job needs root to add a user)`,
      );
    });
    user = await lookUp(name);
    if (!user) throw new Error(`the agent's user ${name} was created but cannot be found`);
  }
  if (user.uid === 0 || user.gid === 0)
    throw new Error(`the user ${name} has uid or gid 0; Gantry's agent user must be unprivileged`);
  const groups = (await run('id', ['-G', name])).stdout.trim().split(/\s+/).map(Number);
  const others = groups.filter((g) => g !== user.gid);
  if (others.length)
    throw new Error(
      `the user ${name} is in other groups (${others.join(', ')}): Gantry's agent user must have only its own group; remove it from them or delete the user`,
    );
  return user;
}

async function lookUp(name: string): Promise<AgentUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}
