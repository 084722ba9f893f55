// An interface's methods carried over IPC, derived from one list of names:
// the serving side and the calling side both come from that list, so a new
// method is written once (in the interface and the list), never three times.
import type { RpcHandler } from './rpc';

type AsyncMethodNames<T> = { [K in keyof T & string]: T[K] extends (...args: any[]) => Promise<unknown> ? K : never }[keyof T & string];

/** The handlers that serve `methods` of `target`, named `<prefix>.<method>`. */
export function serveMethods<T, M extends AsyncMethodNames<T>>(prefix: string, methods: readonly M[], target: T): Record<string, RpcHandler> {
  const handlers: Record<string, RpcHandler> = {};
  for (const method of methods) {
    const fn = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
    handlers[`${prefix}.${method}`] = (...args: unknown[]) => fn.apply(target, args);
  }
  return handlers;
}

/** An object whose `methods` call `call('<prefix>.<method>', args)` on the other side. */
export function remoteMethods<T, M extends AsyncMethodNames<T>>(prefix: string, methods: readonly M[], call: (method: string, args: unknown[]) => Promise<unknown>): Pick<T, M> {
  const client: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of methods) {
    const name = `${prefix}.${method}`;
    client[method] = (...args: unknown[]) => call(name, args);
  }
  return client as unknown as Pick<T, M>;
}
