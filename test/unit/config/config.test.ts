import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({ WORKERS: '4' });
    assert.equal(config.port, 3005);
    assert.deepEqual(config.weights, [1, 1, 1, 1]);
    assert.equal(config.balancer, 'handoff');
    assert.equal(config.redisPrefix, 'spike');
    assert.equal(config.defaultSaleId, 'demo');
    assert.equal(config.defaultSaleTotal, 10_000);
    assert.equal(config.saleViewTtlMs, 100);
    assert.equal(config.ledgerTimeoutMs, 1000);
    assert.ok(Object.isFrozen(config));
  });

  it('picks the ledger: LEDGER wins, else REDIS_URL means redis, else embedded', () => {
    assert.equal(loadConfig({}).ledger, 'embedded');
    assert.equal(loadConfig({ REDIS_URL: 'redis://h:1' }).ledger, 'redis');
    assert.equal(loadConfig({ REDIS_URL: 'redis://h:1', LEDGER: 'embedded' }).ledger, 'embedded');
    assert.equal(loadConfig({ LEDGER: 'redis' }).redisUrl, 'redis://127.0.0.1:6379');
  });

  it('stops on a weight list whose length does not match WORKERS', () => {
    assert.throws(() => loadConfig({ WORKERS: '3', WORKER_WEIGHTS: '1,2,3,4' }), /WORKER_WEIGHTS="1,2,3,4" is not valid: expected 3 weights/);
  });

  it('WORKER_WEIGHTS alone sets the number of workers; WORKERS alone gives weight 1 each', () => {
    const weighted = loadConfig({ WORKER_WEIGHTS: '1,2,3' });
    assert.equal(weighted.workers, 3);
    assert.deepEqual(weighted.weights, [1, 2, 3]);
    assert.deepEqual(loadConfig({ WORKERS: '2' }).weights, [1, 1]);
    assert.equal(loadConfig({ WORKERS: '2', WORKER_WEIGHTS: '5,1' }).workers, 2);
    assert.throws(() => loadConfig({ WORKER_WEIGHTS: Array(65).fill('1').join(',') }), /WORKER_WEIGHTS=.* at most 64/);
  });

  it('names the variable, the value and what is allowed', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT="eighty" is not valid: expected an integer from 0 to 65535/);
    assert.throws(() => loadConfig({ BALANCER: 'nginx' }), /BALANCER="nginx" is not valid: expected one of handoff, proxy, reuseport/);
    assert.throws(() => loadConfig({ WORKER_WEIGHTS: '1,x', WORKERS: '2' }), /WORKER_WEIGHTS/);
    assert.throws(() => loadConfig({ REDIS_URL: 'http://x' }), /REDIS_URL/);
    assert.throws(() => loadConfig({ DEFAULT_SALE_ID: 'bad id!' }), /DEFAULT_SALE_ID/);
    assert.throws(() => loadConfig({ LOCAL_BUFFER: '-1' }), /LOCAL_BUFFER/);
    assert.throws(() => loadConfig({ TICKET_THREAD_NICE: '20' }), /TICKET_THREAD_NICE="20" is not valid: expected idle or an integer from 0 to 19/);
  });

  it('render threads run at SCHED_IDLE unless a nice value is given', () => {
    assert.equal(loadConfig({}).ticketThreadNice, 'idle');
    assert.equal(loadConfig({ TICKET_THREAD_NICE: 'idle' }).ticketThreadNice, 'idle');
    assert.equal(loadConfig({ TICKET_THREAD_NICE: '7' }).ticketThreadNice, 7);
  });

  it('the journal compaction thread runs at SCHED_IDLE unless a nice value is given', () => {
    assert.equal(loadConfig({}).journalCompactNice, 'idle');
    assert.equal(loadConfig({ JOURNAL_COMPACT_NICE: '10' }).journalCompactNice, 10);
    assert.throws(() => loadConfig({ JOURNAL_COMPACT_NICE: 'low' }), /JOURNAL_COMPACT_NICE="low" is not valid: expected idle or an integer from 0 to 19/);
  });
});
