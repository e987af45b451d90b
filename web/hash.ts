// A fingerprint of trained weights: SHA-256 over the little-endian f32 bytes of W1, b1, W2, b2, ...
// (layer by layer, weights then biases). The e2e test computes the same in Node to check that the
// browser trained bit for bit the same network.

export async function weightsSha256(params: { W: readonly Float32Array[]; b: readonly Float32Array[] }): Promise<string> {
  const parts = params.W.flatMap((w, l) => [w, params.b[l]]);
  const bytes = new Uint8Array(parts.reduce((n, a) => n + a.byteLength, 0));
  let at = 0;
  for (const a of parts) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
