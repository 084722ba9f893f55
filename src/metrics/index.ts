// The metrics room's one entry: tallies for the request path, the worker's
// and the primary's registries, the instrumented ledger, the sale watch.
export { PURCHASE_OUTCOMES, OUTCOME, outcomeIndex, PurchaseTally, HttpTally, RouteTally, LedgerTally, LatencyTally, type PurchaseOutcome } from './tallies';
export { METRIC_NAMES, BATCH_SIZE_BUCKETS, type SaleFigures, type WorkerSlotFigures } from './definitions';
export { WorkerMetrics } from './worker-metrics';
export { ClusterMetrics, type WorkerSnapshot, type WorkerSnapshotSource } from './cluster-metrics';
export { instrumentLedger, type LedgerWatcher } from './instrumented-ledger';
export { routeLabelSetter, labellingApp } from './route-labels';
export { SaleWatch, type WatchedSale } from './sale-watch';
export { serveMetricsPort } from './metrics-port';
