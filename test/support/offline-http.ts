import nock from 'nock';
import { afterEach, beforeEach, expect } from 'vitest';

/** Every test in the file is offline: nock answers, nothing reaches the network, unused mocks fail. */
export function offlineHttp(): void {
  beforeEach(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending).toEqual([]);
  });
}
