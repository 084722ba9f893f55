// A stand-in worker for the handoff unit test: takes each handed-over
// connection and answers it with its own id, so the test sees who served it.
import net from 'node:net';
import { isHandoffConnection } from '../../src/front/handoff-messages';

const id = process.env.ECHO_WORKER_ID ?? '?';
process.on('message', (message: unknown, handle: unknown) => {
  if (!isHandoffConnection(message) || handle === undefined) return;
  const socket = new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${id.length}\r\nconnection: close\r\n\r\n${id}`);
});
process.send!({ spike: 'ready' });
