// The address a rate limit counts a request against: the connection's peer,
// or with TRUST_PROXY the last X-Forwarded-For entry (the one our own front
// wrote; earlier entries are whatever the client claimed). Read before any await.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { PEER_HEADER } from '../front/http-framing';

export function clientAddress(res: HttpResponse, req: HttpRequest, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.getHeader('x-forwarded-for');
    if (forwarded !== '') return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
  }
  const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
  // A unix-socket peer is our own relay (handoff or proxy: nothing else can reach the socket), which names the client.
  return peer !== '' ? peer : req.getHeader(PEER_HEADER);
}
