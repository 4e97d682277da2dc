import { describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../../src/app/env.js';

describe('settings from the environment', () => {
  it('needs a state key of at least 32 characters and says how to make one', () => {
    expect(() => optionsFromEnv({})).toThrow(/GANTRY_STATE_KEY is not set.*openssl rand -hex 32/);
    expect(() => optionsFromEnv({ GANTRY_STATE_KEY: 'short' })).toThrow(/is too short/);
    expect(() =>
      optionsFromEnv({ GANTRY_STATE_KEY: 'k'.repeat(32), GANTRY_RECONCILE_MINUTES: 'often' }),
    ).toThrow('GANTRY_RECONCILE_MINUTES must be a number of minutes, at least 1 (got "often").');
  });

  it('links to GitHub Enterprise when GHE_HOST is set', () => {
    const o = optionsFromEnv({
      GANTRY_STATE_KEY: 'k'.repeat(32),
      GHE_HOST: 'ghe.example.com',
      GANTRY_RECONCILE_MINUTES: '5',
    });
    expect(o.serverUrl).toBe('https://ghe.example.com');
    expect(o.reconcileEveryMs).toBe(300_000);
  });
});
