// The address a rate limit counts a request against: the connection's peer,
// or with TRUST_PROXY the last X-Forwarded-For entry (the one our own front
// wrote; earlier entries are whatever the client claimed). Read before any await.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

export function clientAddress(res: HttpResponse, req: HttpRequest, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.getHeader('x-forwarded-for');
    if (forwarded !== '') return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
  }
  // A unix-socket peer (the primary in proxy mode) has no address: empty, and not limited.
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}
