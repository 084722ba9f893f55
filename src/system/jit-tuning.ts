// How soon V8 compiles a hot function into optimized machine code. V8 counts
// the bytecode a function runs against an "interrupt budget" and considers
// optimizing it only after a few budgets' worth; its default (67,584) suits a
// page or a long-running service, where the first seconds matter little. A
// flash sale is over in seconds: a fresh server sold its first 10,000 tickets
// (`ab -n 10000 -c 100` on /buy/ticket) at about 60% of its later speed,
// with 16% of a worker's samples in the optimizing compiler (perf). With a
// budget of 4,000 the hot paths are optimized after a few hundred requests
// instead of a few thousand: the fresh server's first 10,000 sales went
// 2,379-3,390 -> 3,329-4,259 req/s in eight paired runs, and a warm server
// was no slower (README, "Balancers"). Functions still deoptimize and
// re-optimize as V8 sees fit; only the threshold moves.
import v8 from 'node:v8';

/** Sets V8's interrupt budget for this process (and so for the workers, which run this too); 0 keeps V8's own. */
export function tierUpSooner(interruptBudget: number): void {
  if (interruptBudget > 0) v8.setFlagsFromString(`--interrupt-budget=${interruptBudget}`);
}
