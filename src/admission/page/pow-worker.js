// Solves the waiting room's proof of work off the page's thread: finds a nonce
// such that SHA-256(challenge || nonce) starts with `difficulty` zero bits.
const encoder = new TextEncoder();

function leadingZeroBits(bytes) {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) { bits += 8; continue; }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

self.onmessage = async (event) => {
  const { challenge, difficulty } = event.data;
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(challenge + nonce)));
    if (leadingZeroBits(digest) >= difficulty) {
      self.postMessage({ nonce, tries: n + 1 });
      return;
    }
  }
};
