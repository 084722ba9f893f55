// Reads a started cluster's /metrics with a real Prometheus text parser, and
// sums series by label, the way a PromQL sum() would.
import assert from 'node:assert/strict';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { request } from './client';
import { ADMIN_TOKEN, type RunningServer } from './server';

export type Families = Map<string, PromFamily>;

export async function scrape(server: RunningServer, token = ADMIN_TOKEN): Promise<Families> {
  const reply = await request(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(reply.status, 200, reply.text);
  assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(reply.text);
}

export function parseMetrics(text: string): Families {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

/** The sum of a counter's or gauge's samples whose labels include every given label. */
export function sumOf(families: Families, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  assert.ok(family, `no metric ${name} in /metrics`);
  let sum = 0;
  for (const sample of family.metrics) {
    if (Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value)) sum += Number(sample.value);
  }
  return sum;
}

/** Every label set of a metric, e.g. to check which workers report one. */
export function labelSets(families: Families, name: string): Array<Record<string, string>> {
  return (families.get(name)?.metrics ?? []).map((sample) => ({ ...(sample.labels ?? {}) }));
}
