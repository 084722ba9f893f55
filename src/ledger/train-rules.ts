// A train's rules written once for TypeScript: how a train becomes a sale,
// what a route is, how seat indexes read as coach and number. The embedded
// ledger and the worker's gate use them; the Redis scripts state the same
// rules in Lua and the contract suite holds the two to each other.
import type { SaleSpec, SeatChoice, SeatQuota, TrainLayout, TrainSpec } from './types';

export const SEAT_CHOICES: readonly SeatChoice[] = ['best-fit', 'first-fit'];

/** Seats are numbered in coaches of this many; the ledger knows only the index. */
export const SEATS_PER_COACH = 100;

export function segmentCount(layout: Pick<TrainLayout, 'stations'>): number {
  return layout.stations.length - 1;
}

/** A trip is stations from < to, both on the train; it covers segments from..to-1. */
export function isRoute(layout: Pick<TrainLayout, 'stations'>, from: number, to: number): boolean {
  return Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && to <= layout.stations.length - 1 && from < to;
}

/** The sale a train is kept as: total is every seat sold one segment at a time, the most tickets it could ever sell. */
export function trainSaleSpec(spec: TrainSpec): SaleSpec {
  const train: TrainLayout = {
    stations: [...spec.stations],
    seats: spec.seats,
    seatChoice: spec.seatChoice ?? 'best-fit',
    ...(spec.quotas && spec.quotas.length > 0 ? { quotas: spec.quotas.map((q) => ({ ...q })) } : {}),
  };
  return {
    id: spec.id,
    name: spec.name ?? spec.id,
    total: spec.seats * segmentCount(train),
    perUserLimit: spec.perUserLimit,
    holdSeconds: spec.holdSeconds,
    opensAt: spec.opensAt,
    closesAt: spec.closesAt,
    train,
  };
}

/** The quotas closed to this trip now: it is shorter than their minSegments and their releaseAt has not come. */
export function quotasClosedTo(layout: Pick<TrainLayout, 'quotas'>, from: number, to: number, now: number): SeatQuota[] {
  return (layout.quotas ?? []).filter((q) => to - from < q.minSegments && now < q.releaseAt);
}

export function seatLabel(index: number): { index: number; coach: number; number: number } {
  return { index, coach: Math.floor(index / SEATS_PER_COACH) + 1, number: (index % SEATS_PER_COACH) + 1 };
}
