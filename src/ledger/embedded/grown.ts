// Typed arrays that grow by doubling, for the embedded ledger's column stores.

export function grown<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(array: T, need: number): T {
  if (need <= array.length) return array;
  const next = new (array.constructor as new (length: number) => T)(Math.max(need, array.length * 2));
  next.set(array);
  return next;
}
