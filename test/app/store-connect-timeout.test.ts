import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GantryStore, StoreError } from '../../src/app/store/store.js';

/**
 * Review 4: the PostgreSQL pool has no connection timeout (pg's default is to wait forever). A
 * DATABASE_URL whose host accepts the connection and never answers (a firewall that drops, a
 * server hung, a proxy with nothing behind it) hangs the start-up without a word, instead of
 * "start-up checks the store and says clearly what is wrong".
 */
describe('a DATABASE_URL whose server never answers', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => sockets.push(s)); // accepts, says nothing
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('stops the start-up within seconds, saying which store', async () => {
    const started = Date.now();
    const outcome = await Promise.race([
      GantryStore.open({ databaseUrl: `postgres://gantry@127.0.0.1:${port}/gantry` }).then(
        async (s) => {
          await s.close();
          return 'opened';
        },
        (e: unknown) => e,
      ),
      new Promise((r) => setTimeout(() => r('still waiting after 30 s'), 30_000)),
    ]);
    expect(outcome).toBeInstanceOf(StoreError);
    expect((outcome as Error).message).toMatch(
      /^Gantry could not open the PostgreSQL server of DATABASE_URL .*time/i,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);
});
