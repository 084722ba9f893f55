import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyHead, rewriteHttp10 } from '../../../src/cluster/http10-upgrade';

describe('HTTP/1.0 upgrade for uWS', () => {
  it("rewrites ab's request into HTTP/1.1 with connection: close", () => {
    const ab = Buffer.from('GET /buy/ticket HTTP/1.0\r\nHost: 127.0.0.1:3005\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n');
    assert.equal(classifyHead(ab), 'http10');
    assert.equal(
      rewriteHttp10(ab).toString(),
      'GET /buy/ticket HTTP/1.1\r\nHost: 127.0.0.1:3005\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\nconnection: close\r\n\r\n',
    );
  });

  it('replaces a keep-alive request (ab -k) and keeps the body after the head', () => {
    const req = Buffer.from('POST /x HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}');
    assert.equal(rewriteHttp10(req).toString(), 'POST /x HTTP/1.1\r\nContent-Length: 2\r\nconnection: close\r\n\r\n{}');
  });

  it('passes HTTP/1.1 through untouched and waits for a split head', () => {
    assert.equal(classifyHead(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), 'other');
    assert.equal(classifyHead(Buffer.from('GET / HT')), 'incomplete');
    assert.equal(classifyHead(Buffer.from('GET / HTTP/1.0\r\nHost: x\r\n')), 'incomplete');
    assert.equal(classifyHead(Buffer.alloc(20_000, 'a')), 'other');
  });
});
