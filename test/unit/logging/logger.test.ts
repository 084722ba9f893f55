// The start-up configuration summary hides every secret.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';
import { configSummary, redactUrl } from '../../../src/logging';

describe('configSummary', () => {
  it('names where the tokens come from but never prints them, and hides a Redis password', () => {
    const config = loadConfig({ ADMIN_TOKEN: 'admin-secret-1', METRICS_TOKEN: 'metrics-secret-1', REDIS_URL: 'redis://user:pass-secret-1@redis.example:6379/0' });
    const text = JSON.stringify(configSummary(config));
    for (const secret of ['admin-secret-1', 'metrics-secret-1', 'pass-secret-1']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.match(text, /"adminTokenFrom":"ADMIN_TOKEN"/);
    assert.match(text, /"metricsTokenSet":true/);
    assert.match(text, /redis:\/\/user:redacted@redis\.example:6379\/0/);
  });

  it('leaves a URL without a password as it is', () => {
    assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.equal(redactUrl('not a url'), 'not a url');
  });
});
