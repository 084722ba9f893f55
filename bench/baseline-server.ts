// The yardstick: a bare uWebSockets.js server answering one fixed JSON body.
// The spike's throughput is reported as a ratio to this, measured in the same run.
import uWS from 'uWebSockets.js';

const BODY = JSON.stringify({ ok: true, service: 'baseline' });

/** Starts the server on host:port (0 picks a free port) and resolves with the port and a stop function. */
export function startBaseline(host = '127.0.0.1', port = 0): Promise<{ port: number; stop: () => void }> {
  const app = uWS.App();
  app.any('/*', (res) => {
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(BODY);
    });
  });
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) return reject(new Error(`baseline: cannot listen on ${host}:${port}`));
      resolve({ port: uWS.us_socket_local_port(socket), stop: () => uWS.us_listen_socket_close(socket) });
    });
  });
}

// Run on its own (node dist/bench/baseline-server.js), it prints its port and
// serves until killed, so the bench can measure it as a separate process.
if (require.main === module) {
  startBaseline(process.env.HOST || '127.0.0.1', Number(process.env.PORT || 0)).then(
    ({ port }) => console.log(`baseline listening on http://127.0.0.1:${port}`),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
