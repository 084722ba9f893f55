// METRICS_PORT: /metrics on a localhost-only port without a token, for a
// Prometheus (or node exporter sidecar) on the same box.
import http from 'node:http';

export function serveMetricsPort(port: number, text: () => Promise<string>, contentType: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'route_not_found', message: `no route for ${req.method} ${req.url}; this port serves GET /metrics` } }));
      return;
    }
    text().then(
      (body) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal', message: error.message } })),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Localhost only: without a token, the figures must not leave the box.
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
