// A stand-in worker for the handoff unit test: takes each connection handed
// over on its handle channel and answers it with its own id, so the test sees
// who served it.
import net from 'node:net';
import { HANDLE_CHANNEL_FD, receiveHandles } from '../../src/front/handle-channel';

const id = process.env.ECHO_WORKER_ID ?? '?';
receiveHandles(HANDLE_CHANNEL_FD, (handle) => {
  const socket = new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${id.length}\r\nconnection: close\r\n\r\n${id}`);
});
process.send!({ spike: 'ready' });
