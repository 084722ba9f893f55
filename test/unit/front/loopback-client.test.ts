// The warm-ups' loopback client against a real listener: one connection per
// request, as `ab` sends them, each answer's status counted.
import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { exchangeMany, exchangeOnce } from '../../../src/front/loopback-client';

it('sends each request on a connection of its own, at most `concurrency` at once, and counts the statuses', async () => {
  let open = 0;
  let mostOpen = 0;
  let connections = 0;
  // Half-open, as spike's relay is: the client ends its side once the request is sent (HTTP/1.0, as ab).
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    connections++;
    open++;
    mostOpen = Math.max(mostOpen, open);
    let request = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      request += chunk;
      if (!request.includes('\r\n\r\n')) return;
      const status = request.startsWith('POST /even') ? 404 : 201;
      // Answer a moment later, so that the client's connections overlap.
      setTimeout(() => socket.end(`HTTP/1.1 ${status} X\r\nContent-Length: 0\r\n\r\n`), 2);
    });
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const statuses = await exchangeMany(port, 60, 8, (index) => `POST /${index % 2 === 0 ? 'even' : 'odd'} HTTP/1.0\r\n\r\n`);
    assert.deepEqual(statuses, { 201: 30, 404: 30 });
    assert.equal(connections, 60);
    assert.ok(mostOpen <= 8 && mostOpen > 1, `at most 8 at once, and more than one: ${mostOpen}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  // Nobody listening: status 0, not a throw.
  assert.equal(await exchangeOnce(port, 'GET / HTTP/1.0\r\n\r\n'), 0);
});
