// A train's rules written once for TypeScript: how a train becomes a sale,
// what a route is, how seat indexes read as coach and number. The embedded
// ledger and the worker's gate use them; the Redis scripts state the same
// rules in Lua and the contract suite holds the two to each other.
import type { SaleSpec, SeatChoice, TrainLayout, TrainSpec } from './types';

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
  const train: TrainLayout = { stations: [...spec.stations], seats: spec.seats, seatChoice: spec.seatChoice ?? 'best-fit' };
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

export function seatLabel(index: number): { index: number; coach: number; number: number } {
  return { index, coach: Math.floor(index / SEATS_PER_COACH) + 1, number: (index % SEATS_PER_COACH) + 1 };
}
