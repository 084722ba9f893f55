// A Prometheus histogram whose figures live in LatencyTally objects (plain
// numbers bumped on the request path), read only when the registry is scraped.
import type { Metric, Registry } from 'prom-client';
import type { LatencyTally } from './tallies';

type Labels = Record<string, string>;

interface HistogramValue {
  readonly metricName: string;
  readonly labels: Labels;
  readonly value: number;
}

/** Prometheus buckets are cumulative and end with le="+Inf"; the tally counts each bucket on its own. */
export function histogramValues(name: string, labels: Labels, tally: LatencyTally): HistogramValue[] {
  const bounds = tally.bounds;
  const values: HistogramValue[] = [];
  let cumulative = 0;
  for (let i = 0; i <= bounds.length; i++) {
    cumulative += tally.counts[i]!;
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: i < bounds.length ? String(bounds[i]) : '+Inf' }, value: cumulative });
  }
  values.push({ metricName: `${name}_sum`, labels, value: tally.sum });
  values.push({ metricName: `${name}_count`, labels, value: tally.count });
  return values;
}

/**
 * Registers a histogram that, at scrape time, lists one labelled series per
 * entry the source yields. prom-client's registry and its cluster aggregator
 * only need name, help, type, aggregator and get().
 */
export function registerTallyHistogram(
  registry: Registry,
  name: string,
  help: string,
  source: () => Iterable<readonly [Labels, LatencyTally]>,
): void {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    collect: () => {},
    get: async () => {
      const values: HistogramValue[] = [];
      for (const [labels, tally] of source()) values.push(...histogramValues(name, labels, tally));
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Metric);
}
