// The Grafana dashboard and the Prometheus alert rules under config/ query
// only metrics a real cluster exports: a renamed metric breaks this test, not
// an operator's dashboard on sale day.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { scrape, type Families } from '../helpers/metrics';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const CONFIG = join(__dirname, '..', '..', '..', 'config');

/** Metric names in a PromQL expression (ours and prom-client's), a histogram's series folded into its name. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:spike|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

function grafanaExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(join(CONFIG, 'grafana', 'spike-dashboard.json'), 'utf8'));
  const panels = dashboard.panels.filter((p: { type: string }) => p.type !== 'row');
  assert.ok(panels.length >= 10);
  for (const panel of panels) assert.ok(panel.targets?.length > 0, `panel "${panel.title}" queries nothing`);
  return [...panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr)), ...dashboard.templating.list.map((v: { query: string }) => v.query)];
}

function alertExprs(): string[] {
  const rules = readFileSync(join(CONFIG, 'prometheus', 'spike-alerts.yml'), 'utf8');
  return [...rules.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]!);
}

describe('Grafana dashboard and alert rules', () => {
  let server: RunningServer;
  let dataDir: string;
  let families: Families;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'spike-grafana-'));
    server = await startServer({ WORKERS: '2', LEDGER: 'embedded', DATA_DIR: dataDir, DEFAULT_SALE_TOTAL: '5' });
    await request(`${server.url}/buy/ticket`);
    // prom-client measures event-loop lag after a scrape, so it is there from the second one.
    families = await eventually(async () => {
      const scraped = await scrape(server, ADMIN_TOKEN);
      return (scraped.get('nodejs_eventloop_lag_p99_seconds')?.metrics.length ?? 0) > 0 ? scraped : null;
    }, 20_000, 'a scrape with event-loop lag');
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('queries only metrics that /metrics exports', () => {
    const exprs = grafanaExprs();
    const used = new Set(exprs.flatMap(metricsIn));
    assert.ok(used.size >= 12, [...used].join());
    const missing = [...used].filter((name) => !families.has(name));
    assert.deepEqual(missing, [], `the Grafana dashboard queries metrics /metrics does not have: ${missing.join(', ')}`);
  });

  it('alerts only on metrics that /metrics exports', () => {
    const used = new Set(alertExprs().flatMap(metricsIn));
    assert.ok(used.size >= 5, [...used].join());
    const missing = [...used].filter((name) => !families.has(name));
    assert.deepEqual(missing, [], `the alert rules use metrics /metrics does not have: ${missing.join(', ')}`);
  });

  it('covers every spike_ metric the issue asks for', () => {
    const required = ['spike_http_requests_total', 'spike_http_request_duration_seconds', 'spike_purchases_total', 'spike_sale_tickets', 'spike_holds_expired_total', 'spike_ledger_call_duration_seconds', 'spike_ledger_errors_total', 'spike_allowance_units', 'spike_balancer_connections_total', 'spike_worker_up', 'spike_worker_restarts_total', 'spike_journal_fsync_duration_seconds', 'spike_journal_batch_size'];
    assert.deepEqual(required.filter((name) => !families.has(name)), []);
    // Prometheus naming: counters end in _total, and nothing of ours is labelled by buyer or order.
    for (const [name, family] of families) {
      if (!name.startsWith('spike_')) continue;
      if (family.type === 'COUNTER') assert.match(name, /_total$/, name);
      for (const sample of family.metrics) for (const label of Object.keys(sample.labels ?? {})) assert.ok(!/user|buyer|order/i.test(label), `${name} has label ${label}`);
    }
  });
});
