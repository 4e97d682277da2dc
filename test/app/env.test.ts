import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeFromEnv, optionsFromEnv } from '../../src/app/env.js';

const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n';
/** Everything the App needs to serve webhooks. */
const valid = {
  APP_ID: '42',
  PRIVATE_KEY: PEM,
  WEBHOOK_SECRET: 's3cret',
  GANTRY_STATE_KEY: 'k'.repeat(32),
};

describe('settings from the environment', () => {
  it('starts with everything set', () => {
    const o = optionsFromEnv(valid);
    expect(o).toMatchObject({ appId: 42, stateKey: 'k'.repeat(32), reconcileEveryMs: 600_000 });
    expect(o.serverUrl).toBeUndefined();
  });

  it('needs a state key of at least 32 characters and says how to make one', () => {
    const { GANTRY_STATE_KEY: _, ...noKey } = valid;
    expect(() => optionsFromEnv(noKey)).toThrow(
      /GANTRY_STATE_KEY is not set.*openssl rand -hex 32/,
    );
    expect(() => optionsFromEnv({ ...valid, GANTRY_STATE_KEY: 'short' })).toThrow(/is too short/);
    expect(() => optionsFromEnv({ ...valid, GANTRY_RECONCILE_MINUTES: 'often' })).toThrow(
      'GANTRY_RECONCILE_MINUTES must be a number of minutes, at least 1 (got "often").',
    );
  });

  it("takes the account's monthly cap, and refuses one that is no amount", () => {
    expect(optionsFromEnv({ ...valid, GANTRY_ACCOUNT_MONTHLY_USD: '250' }).accountMonthlyUsd).toBe(
      250,
    );
    expect(optionsFromEnv(valid).accountMonthlyUsd).toBeUndefined();
    expect(() => optionsFromEnv({ ...valid, GANTRY_ACCOUNT_MONTHLY_USD: '-3' })).toThrow(
      /GANTRY_ACCOUNT_MONTHLY_USD must be a positive number of dollars.*\(got "-3"\)/,
    );
  });

  it('finds the store: DATABASE_URL, else the data directory', () => {
    expect(storeFromEnv({ DATABASE_URL: 'postgres://g@db:5432/gantry' })).toEqual({
      databaseUrl: 'postgres://g@db:5432/gantry',
    });
    expect(storeFromEnv({ GANTRY_DATA_DIR: '/srv/gantry' })).toEqual({ dataDir: '/srv/gantry' });
    expect(storeFromEnv({ STATE_DIRECTORY: '/var/lib/gantry' })).toEqual({
      dataDir: '/var/lib/gantry',
    });
    expect(storeFromEnv({})).toEqual({ dataDir: '.gantry-data' });
    expect(() => storeFromEnv({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be a PostgreSQL connection URL/,
    );
  });

  it("refuses to serve webhooks without a secret, or with Probot's development one", () => {
    const { WEBHOOK_SECRET: _, ...noSecret } = valid;
    expect(() => optionsFromEnv(noSecret)).toThrow(/WEBHOOK_SECRET is not set: without it anyone/);
    expect(() => optionsFromEnv({ ...valid, WEBHOOK_SECRET: 'development' })).toThrow(
      /Probot's well-known default/,
    );
    // Replaying a saved payload (`probot receive`) verifies nothing, so it needs none.
    expect(optionsFromEnv(noSecret, { serving: false }).appId).toBe(42);
  });

  it('needs the App id and a readable PEM private key, from PRIVATE_KEY or PRIVATE_KEY_PATH', () => {
    const { APP_ID: _a, ...noId } = valid;
    expect(() => optionsFromEnv(noId)).toThrow(/APP_ID is not set.*GANTRY_SETUP=1 npm start/);
    expect(() => optionsFromEnv({ ...valid, APP_ID: 'my-app' })).toThrow(
      /numeric id \(got "my-app"\)/,
    );
    const { PRIVATE_KEY: _k, ...noKey } = valid;
    expect(() => optionsFromEnv(noKey)).toThrow(/Neither PRIVATE_KEY nor PRIVATE_KEY_PATH/);
    expect(() => optionsFromEnv({ ...valid, PRIVATE_KEY: 'not a key' })).toThrow(/not a PEM/);
    expect(
      optionsFromEnv({ ...valid, PRIVATE_KEY: Buffer.from(PEM).toString('base64') }).appId,
    ).toBe(42);
    const dir = mkdtempSync(join(tmpdir(), 'gantry-env-'));
    writeFileSync(join(dir, 'key.pem'), PEM);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    expect(optionsFromEnv({ ...noKey, PRIVATE_KEY_PATH: join(dir, 'key.pem') }).appId).toBe(42);
    expect(() => optionsFromEnv({ ...noKey, PRIVATE_KEY_PATH: join(dir, 'notes.txt') })).toThrow(
      /does not hold a PEM private key/,
    );
    expect(() => optionsFromEnv({ ...noKey, PRIVATE_KEY_PATH: join(dir, 'gone.pem') })).toThrow(
      /cannot be read \(ENOENT\)/,
    );
  });

  it('links to GitHub Enterprise when GHE_HOST is set, and refuses a scheme, a path or an unknown protocol', () => {
    const o = optionsFromEnv({
      ...valid,
      GHE_HOST: 'ghe.example.com',
      GANTRY_RECONCILE_MINUTES: '5',
    });
    expect(o.serverUrl).toBe('https://ghe.example.com');
    expect(o.reconcileEveryMs).toBe(300_000);
    expect(
      optionsFromEnv({ ...valid, GHE_HOST: 'localhost:8080', GHE_PROTOCOL: 'http' }).serverUrl,
    ).toBe('http://localhost:8080');
    for (const host of ['https://ghe.example.com', 'ghe.example.com/api/v3', 'ghe example'])
      expect(() => optionsFromEnv({ ...valid, GHE_HOST: host })).toThrow(/no scheme or path/);
    expect(() =>
      optionsFromEnv({ ...valid, GHE_HOST: 'ghe.example.com', GHE_PROTOCOL: 'ftp' }),
    ).toThrow(/GHE_PROTOCOL must be "https" or "http"/);
    expect(() => optionsFromEnv({ ...valid, GHE_PROTOCOL: 'http' })).toThrow(/without GHE_HOST/);
  });

  it('lists every problem at once', () => {
    let message = '';
    try {
      optionsFromEnv({});
    } catch (e) {
      message = (e as Error).message;
    }
    for (const name of ['GANTRY_STATE_KEY', 'APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET'])
      expect(message).toContain(name);
    expect(message.split('\n- ')).toHaveLength(5);
  });
});
