// The global ledger: the one place that decides, atomically, whether a ticket
// is sold. Workers talk to this interface and never know which ledger is behind it.

export interface SaleSpec {
  readonly id: string;
  readonly name: string;
  readonly total: number;
  readonly perUserLimit: number;
  /** Epoch milliseconds, or null for "always". */
  readonly opensAt: number | null;
  readonly closesAt: number | null;
}

export interface Sale extends SaleSpec {
  readonly sold: number;
  readonly createdAt: number;
}

export type OrderState = 'confirmed';

export interface Order {
  readonly orderId: string;
  readonly saleId: string;
  readonly userId: string;
  readonly state: OrderState;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

export interface ReserveRequest {
  readonly saleId: string;
  readonly userId: string;
  /**
   * Names this purchase attempt for its whole life: "k:<Idempotency-Key>",
   * with a key the client sent or one the worker made for it. A retry with
   * the same key never reserves twice.
   */
  readonly requestKey: string;
  /** The id the order gets if this attempt creates one. */
  readonly orderId: string;
  readonly now: number;
}

export type ReserveOutcome =
  | { readonly kind: 'reserved'; readonly order: Order; readonly sold: number; readonly total: number }
  | { readonly kind: 'replayed'; readonly order: Order }
  | { readonly kind: 'sold_out'; readonly total: number }
  | { readonly kind: 'limit_reached'; readonly perUserLimit: number }
  | { readonly kind: 'key_reused' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_open'; readonly opensAt: number }
  | { readonly kind: 'closed'; readonly closesAt: number };

export interface Ledger {
  /** Human-readable description for the start-up line, e.g. the Redis URL or data directory. */
  readonly description: string;
  /** Creates a sale; resolves null when one with this id already exists. */
  createSale(spec: SaleSpec, now: number): Promise<Sale | null>;
  getSale(saleId: string): Promise<Sale | null>;
  /** The atomic reservation: sale open, stock left, buyer under the limit, request key unused. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  getOrder(orderId: string): Promise<Order | null>;
  /** The order an earlier attempt with this request key made, if any. */
  findByRequestKey(saleId: string, requestKey: string): Promise<Order | null>;
  /** Throws when the ledger cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Order ids carry their sale id so an order can be found on the sale's shard. */
export function saleIdOfOrder(orderId: string): string | null {
  const dot = orderId.indexOf('.');
  return dot > 0 ? orderId.slice(0, dot) : null;
}
