// Trains and train orders as the API shows them: stations by name, seats as
// index, coach and number.
import { seatLabel, type Order, type Sale, type TrainLayout } from '../ledger';
import { orderToJson } from '../http/views';

export function trainToJson(sale: Sale & { train: TrainLayout }) {
  return {
    id: sale.id,
    name: sale.name,
    stations: sale.train.stations,
    seats: sale.train.seats,
    seatChoice: sale.train.seatChoice,
    quotas: (sale.train.quotas ?? []).map((q) => ({ firstSeat: q.firstSeat, seats: q.seats, minSegments: q.minSegments, releaseAt: new Date(q.releaseAt).toISOString() })),
    perUserLimit: sale.perUserLimit,
    holdSeconds: sale.holdSeconds,
    opensAt: sale.opensAt === null ? null : new Date(sale.opensAt).toISOString(),
    closesAt: sale.closesAt === null ? null : new Date(sale.closesAt).toISOString(),
    /** Tickets held or paid (each a seat on one trip). */
    sold: sale.sold,
    paid: sale.paid,
  };
}

/** A train order: the sale order's fields, and its trip by station name and seat. */
export function tripOrderToJson(order: Order, layout: Pick<TrainLayout, 'stations'> | undefined) {
  const { trip: byIndex, ...json } = orderToJson(order);
  const trip = order.trip;
  if (!trip || !layout) return { ...json, ...(byIndex ? { trip: byIndex } : {}) };
  return { ...json, from: layout.stations[trip.from], to: layout.stations[trip.to], seat: seatLabel(trip.seat) };
}

export function isTrain(sale: Sale | null | undefined): sale is Sale & { train: TrainLayout } {
  return sale?.train !== undefined;
}
