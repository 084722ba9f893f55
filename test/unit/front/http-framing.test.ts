import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkedScanner, isFramingError, parseRequestHead, parseResponseHead, type RequestHead } from '../../../src/front/http-framing';

const head = (text: string) => parseRequestHead(Buffer.from(text, 'latin1'), 'localhost:3005');
const ok = (text: string) => {
  const parsed = head(text);
  assert.ok(parsed !== null && !isFramingError(parsed), JSON.stringify(parsed));
  return parsed as RequestHead;
};

describe('request framing', () => {
  it("rewrites ab's HTTP/1.0 request into HTTP/1.1, closing after the answer", () => {
    const parsed = ok('GET /buy/ticket HTTP/1.0\r\nHost: 127.0.0.1:3005\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n');
    assert.equal(parsed.rewritten!.toString(), 'GET /buy/ticket HTTP/1.1\r\nHost: 127.0.0.1:3005\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n');
    assert.equal(parsed.closeAfter, true);
  });

  it('adds a Host to HTTP/1.0 without one, and drops Connection and Keep-Alive', () => {
    const parsed = ok('POST /x HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}');
    assert.equal(parsed.rewritten!.toString(), 'POST /x HTTP/1.1\r\nContent-Length: 2\r\nhost: localhost:3005\r\n\r\n');
    assert.equal(parsed.contentLength, 2);
  });

  it('passes a keep-alive HTTP/1.1 head through untouched; Connection: close is taken off and remembered', () => {
    const plain = ok('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(plain.rewritten, null);
    assert.equal(plain.closeAfter, false);
    const closing = ok('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(closing.rewritten!.toString(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(closing.closeAfter, true);
  });

  it('drops a spike-peer header the client sent, so only the relay names the client', () => {
    const forged = ok('GET /api/sales/s/queue HTTP/1.1\r\nHost: x\r\nSpike-Peer: 10.9.9.9\r\nAccept: */*\r\n\r\n');
    assert.equal(forged.rewritten!.toString(), 'GET /api/sales/s/queue HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n');
  });

  it('waits for a split head, and refuses one over 16 KiB with 431', () => {
    assert.equal(head('GET / HT'), null);
    assert.equal(head('GET / HTTP/1.1\r\nHost: x\r\n'), null);
    assert.deepEqual((head('GET /' + 'a'.repeat(20_000)) as { status: number }).status, 431);
  });

  for (const [what, text, status] of [
    ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n', 400],
    ['a Content-Length list that disagrees', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\n', 400],
    ['a negative Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['a Transfer-Encoding that does not end in chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
    ['whitespace before a colon', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\n', 400],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['HTTP/2.0 in the request line', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    ['a request line without a version', 'GET /\r\nHost: x\r\n\r\n', 400],
  ] as const) {
    it(`refuses ${what} with ${status}`, () => {
      const parsed = head(text);
      assert.ok(parsed !== null && isFramingError(parsed), JSON.stringify(parsed));
      assert.equal(parsed.status, status);
    });
  }

  it('takes the same Content-Length twice', () => {
    assert.equal(ok('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n').contentLength, 2);
  });
});

describe('answer framing', () => {
  it('reads the length of uWS answers, and knows HEAD, 204 and 1xx carry no body', () => {
    const res = Buffer.from('HTTP/1.1 200 OK\r\nuWebSockets: 20\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual(parseResponseHead(res, 0, 'GET'), { headLength: res.length - 5, status: 200, contentLength: 5, chunked: false, close: false });
    assert.equal(parseResponseHead(res, 0, 'HEAD')!.contentLength, 0);
    assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), 0, 'POST')!.status, 100);
    assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 503 X\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'), 0, 'GET')!.close, true);
    assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'), 0, 'GET'), null);
  });
});

describe('chunked bodies', () => {
  it('finds the end, fed in any pieces', () => {
    const body = Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT');
    const end = body.length - 4;
    assert.equal(new ChunkedScanner().feed(body), end);
    for (let cut = 1; cut < end; cut++) {
      const scanner = new ChunkedScanner();
      assert.equal(scanner.feed(body.subarray(0, cut)), -1, `cut at ${cut}`);
      assert.equal(scanner.feed(body, cut), end, `cut at ${cut}`);
    }
  });

  it('reports broken framing', () => {
    assert.equal(new ChunkedScanner().feed(Buffer.from('zz\r\n')), -2);
    assert.equal(new ChunkedScanner().feed(Buffer.from('2\r\nabX\r\n')), -2);
  });
});
