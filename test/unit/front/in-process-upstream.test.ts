// The in-process server answers as uWS itself does. The same handlers are
// given to a real uWS app and to the in-process server; each request goes to
// both (to uWS over a TCP socket), and the answers must match byte for byte
// but for the two headers only uWS writes (Date's value, "uWebSockets: 20").
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import uWS from 'uWebSockets.js';
import { InProcessServer } from '../../../src/front/in-process-upstream';
import { PEER_HEADER } from '../../../src/front/http-framing';
import { recordRoutes, RouteTable } from '../../../src/http/route-table';
import type { Upstream, UpstreamOwner } from '../../../src/front/upstream-pool';

const table = new RouteTable();
const uwsApp = uWS.App();
const app = recordRoutes(uwsApp, table);
app.get('/q', (res, req) => {
  res.end(JSON.stringify({ whole: req.getQuery(), a: req.getQuery('a'), b: req.getQuery('b'), url: req.getUrl(), method: req.getMethod(), test: req.getHeader('x-test') }));
});
app.post('/echo/:id', (res, req) => {
  const id = req.getParameter(0);
  const type = req.getHeader('content-type');
  const chunks: Buffer[] = [];
  res.onAborted(() => {});
  res.onData((chunk, isLast) => {
    chunks.push(Buffer.from(Buffer.from(chunk)));
    if (!isLast) return;
    // Later, as a handler that awaited the ledger would answer.
    setTimeout(() => {
      res.cork(() => {
        res.writeStatus('201 Created').writeHeader('x-id', id).writeHeader('x-type', type).end(`${Buffer.concat(chunks).toString()}|${chunks.length > 0}`);
      });
    }, 5);
  });
});
app.get('/closing', (res) => {
  res.writeHeader('content-type', 'text/plain').end('bye', true);
});
app.get('/own-close', (res) => {
  res.writeHeader('Connection', 'close').end('bye');
});
app.get('/peer', (res, req) => {
  res.end(`peer=${req.getHeader(PEER_HEADER)}`);
});
app.any('/*', (res, req) => {
  res.writeStatus('404 Not Found').end(`no ${req.getMethod()} ${req.getUrl()}`);
});

let port = 0;
let listenSocket: uWS.us_listen_socket | undefined;
before(async () => {
  listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => uwsApp.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('uWS did not listen')))));
  port = uWS.us_socket_local_port(listenSocket);
});
after(() => {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
});

/** Without what only uWS writes. */
const normalized = (answer: string) => answer.replace(/\r\nDate: [^\r]+/, '\r\nDate: -').replace('uWebSockets: 20\r\n', '');

function fromUws(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const end = answer.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(answer);
      if (end !== -1 && length && answer.length >= end + 4 + Number(length[1])) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
  });
}

/** As the relay sends a request in process: the head, then the body in the given pieces; the relay names the client when asked. */
function fromInProcess(head: string, bodyPieces: string[] = [], asked = { peer: 0, close: false }): Promise<string> {
  return new Promise((resolve) => {
    const owner: UpstreamOwner = {
      onUpstreamData: () => assert.fail('the in-process server hands over whole answers'),
      onUpstreamAnswer: (answer, close) => {
        asked.close = close;
        resolve(answer.toString('latin1'));
      },
      onUpstreamClose: () => {},
      onUpstreamDrain: () => {},
      peerAddress: () => (asked.peer++, '10.0.0.1'),
    };
    new InProcessServer(table).acquire(owner, (upstream: Upstream | null) => {
      upstream!.socket.write(Buffer.from(head, 'latin1'));
      for (const piece of bodyPieces) upstream!.socket.write(Buffer.from(piece));
    });
  });
}

async function same(head: string, body = '', pieces?: string[]): Promise<string> {
  const uws = normalized(await fromUws(head + body));
  const ours = normalized(await fromInProcess(head, pieces ?? (body === '' ? [] : [body])));
  assert.equal(ours, uws);
  return ours;
}

describe('the in-process server answers as uWS does', () => {
  it('the query, whole and by key, with uWS decoding and its quirks', async () => {
    for (const query of ['', '?', '?a=1', '?a=', '?a', '?a=1&a=2', '?b=1&a=2', '?a=%41%42', '?a=%4', '?a=%', '?a=%zz', '?a=%e4%bd%a0', '?a=x+y', '?a=%2B',
      '?&a=1', '?aa=1&a=2', '?a==1', '?a=%00x', '?a=%C3', '?A=1', '?a=1;b=2', '?ab&a=1', '?b&a=1', '?a&a=1', '?b=%ff&a=%%41']) {
      await same(`GET /q${query} HTTP/1.1\r\nHost: t\r\nX-Test: one\r\nx-test: two\r\n\r\n`);
    }
  });

  it('a body in one piece, in many, empty, and a parameter; answered later from a corked callback', async () => {
    const head = (length: number) => `POST /echo/G-1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const body = '{"userId":"alice","note":"ünïcode"}';
    const length = Buffer.byteLength(body);
    await same(head(length), body);
    const answer = await same(head(length), body, [body.slice(0, 3), body.slice(3, 10), body.slice(10)]);
    assert.match(answer, /^HTTP\/1\.1 201 Created\r\nx-id: G-1\r\nx-type: application\/json\r\n/);
    assert.match(await same(head(0)), /\|true$/, 'an empty body is one empty, last chunk');
  });

  it('the catch-all for unknown paths and other methods, and end(body, closeConnection)', async () => {
    await same('GET /nope/x HTTP/1.1\r\nHost: t\r\n\r\n');
    await same('DELETE /q HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.match(await same('GET /closing HTTP/1.1\r\nHost: t\r\n\r\n'), /Connection: close/i);
  });

  it("asks the relay for the client's address only when a route reads it, and never takes the client's own peer header", async () => {
    const asked = { peer: 0, close: false };
    await fromInProcess('GET /q?a=1 HTTP/1.1\r\nHost: t\r\n\r\n', [], asked);
    assert.equal(asked.peer, 0, 'a route that does not read the address costs no getpeername');
    const answer = await fromInProcess(`GET /peer HTTP/1.1\r\nHost: t\r\n${PEER_HEADER}: 6.6.6.6\r\n\r\n`, [], asked);
    assert.match(answer, /peer=10\.0\.0\.1$/);
    assert.equal(asked.peer, 1);
  });

  it('says with each whole answer whether the connection ends after it: end(body, true), or a Connection: close of the handler', async () => {
    const asked = { peer: 0, close: false };
    await fromInProcess('GET /q HTTP/1.1\r\nHost: t\r\n\r\n', [], asked);
    assert.equal(asked.close, false);
    await fromInProcess('GET /closing HTTP/1.1\r\nHost: t\r\n\r\n', [], asked);
    assert.equal(asked.close, true);
    asked.close = false;
    assert.match(await fromInProcess('GET /own-close HTTP/1.1\r\nHost: t\r\n\r\n', [], asked), /bye$/);
    assert.equal(asked.close, true);
  });

  it('tells the handler of a client that went away before the answer, and answers nothing then', async () => {
    let aborted = false;
    const local = new RouteTable();
    recordRoutes(uWS.App(), local).get('/slow', (res) => {
      res.onAborted(() => (aborted = true));
      setTimeout(() => res.end('late'), 20);
    });
    const answers: string[] = [];
    const owner: UpstreamOwner = { onUpstreamData: () => {}, onUpstreamAnswer: (answer) => answers.push(answer.toString()), onUpstreamClose: () => {}, onUpstreamDrain: () => {}, peerAddress: () => 'x' };
    new InProcessServer(local).acquire(owner, (upstream) => {
      upstream!.socket.write(Buffer.from(`GET /slow HTTP/1.1\r\nHost: t\r\n${PEER_HEADER}: x\r\n\r\n`));
      setTimeout(() => upstream!.socket.destroy(), 5);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(aborted, true);
    assert.deepEqual(answers, []);
  });
});
