// This box's entry in the shared Redis: a key holding its weight with a TTL of
// two heartbeats, renewed every heartbeat. A box that dies stops renewing it,
// its key expires, and the other boxes' next read leaves it out of the total
// weight, so its share of the stock flows to them within about two heartbeats.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Topology, TopologyView } from '../topology';
import type { RedisClient } from './connection';
import { boxKeys } from './keys';

export interface BoxRegistryOptions {
  readonly prefix: string;
  readonly weight: number;
  readonly heartbeatMs: number;
  readonly warn: (line: string) => void;
}

export class RedisBoxRegistry implements Topology {
  readonly boxId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private view: TopologyView;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly keys;

  constructor(private readonly redis: RedisClient, private readonly options: BoxRegistryOptions) {
    this.keys = boxKeys(options.prefix);
    this.view = { boxes: 1, totalWeight: options.weight };
  }

  current(): TopologyView {
    return this.view;
  }

  async start(changed: (view: TopologyView) => void): Promise<void> {
    // The first read only sets the view: no worker exists yet to hear of a change.
    this.view = await this.beat().catch(() => this.view);
    const beat = async () => {
      try {
        const view = await this.beat();
        if (this.failing) this.options.warn('box registry: Redis answers again; heartbeat renewed');
        this.failing = false;
        if (view.boxes !== this.view.boxes || view.totalWeight !== this.view.totalWeight) {
          this.view = view;
          changed(view);
        }
      } catch (error) {
        // Keep the last view: without Redis nothing sells anyway, and the
        // other boxes' shares come back with the next good read.
        if (!this.failing) this.options.warn(`box registry: cannot renew this box's heartbeat (${(error as Error).message})`);
        this.failing = true;
      }
    };
    const tick = () => {
      this.timer = setTimeout(() => void beat().finally(() => this.timer && tick()), this.options.heartbeatMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([this.redis.del(this.keys.box(this.boxId)), this.redis.srem(this.keys.members, this.boxId)]).catch(() => {});
  }

  /**
   * Renews this box's key and reads every registered box's weight: the keys
   * share one hash tag, so this is one MULTI and one MGET on one shard.
   */
  private async beat(): Promise<TopologyView> {
    const own = this.keys.box(this.boxId);
    const replies = await this.redis.multi().set(own, this.options.weight, 'PX', this.options.heartbeatMs * 2).sadd(this.keys.members, this.boxId).smembers(this.keys.members).exec();
    const ids = (replies?.[2]?.[1] as string[] | undefined) ?? [];
    const others = ids.filter((id) => id !== this.boxId);
    const weights = others.length > 0 ? await this.redis.mget(others.map((id) => this.keys.box(id))) : [];
    // This box counts itself whatever Redis says: it is alive, and a total
    // without it could be zero.
    let totalWeight = this.options.weight;
    let boxes = 1;
    const gone: string[] = [];
    weights.forEach((weight, i) => {
      if (weight === null) gone.push(others[i]!);
      else {
        boxes++;
        totalWeight += Number(weight);
      }
    });
    if (gone.length > 0) await this.redis.srem(this.keys.members, ...gone);
    return { boxes, totalWeight };
  }
}
