// Rows of inputs into the f32 memory a network trains on (Network.setTrain and setEval): floats, or an IDX
// file's pixels as bytes, each row followed by its column of ones, standardised on the way.

import { LITTLE_ENDIAN } from "../bytes.js";

/**
 * Rows of X (n × F, floats or bytes) into `into` (rows of F + 1), each followed by a 1; with mean and divisor,
 * (x - mean) / divisor in f64, rounded to f32 once. Bytes (an IDX file's pixels) go through a table of what
 * each byte becomes (in each column, or in all when the standardisation is the same for every column): the
 * same bits as the same values as floats, without a division per value; read four at a time from a
 * Uint32Array where the rows allow it (aligned, a multiple of 4 wide, little-endian).
 */
export function writeRows(into: Float32Array, X: Float32Array | Uint8Array, n: number, F: number, m?: Float64Array, d?: Float64Array): void {
  const v = into;
  if (!(X instanceof Uint8Array)) {
    for (let r = 0, x = 0, o = 0; r < n; r++, x += F, o += F + 1) {
      for (let j = 0; j < F; j++) v[o + j] = m ? (X[x + j] - m[j]) / d![j] : X[x + j];
      v[o + F] = 1;
    }
    return;
  }
  const same = !m || (m.every((x) => x === m[0]) && d!.every((x) => x === d![0])), step = same ? 0 : 256;
  const T = new Float32Array(same ? 256 : F << 8);
  for (let t = 0; t < T.length; t++) T[t] = m ? ((t & 255) - m[t >> 8]) / d![t >> 8] : t & 255;
  const fours = F % 4 === 0 && X.byteOffset % 4 === 0 && LITTLE_ENDIAN;
  const X4 = fours ? new Uint32Array(X.buffer, X.byteOffset, X.length >> 2) : new Uint32Array(0);
  for (let r = 0, x = 0, o = 0; r < n; r++, x += F, o += F + 1) {
    if (fours) {
      for (let j = 0, t = 0, w = 0; j < F; j += 4, t += 4 * step) {
        w = X4[(x + j) >> 2];
        v[o + j] = T[t + (w & 255)];
        v[o + j + 1] = T[t + step + ((w >>> 8) & 255)];
        v[o + j + 2] = T[t + 2 * step + ((w >>> 16) & 255)];
        v[o + j + 3] = T[t + 3 * step + (w >>> 24)];
      }
    } else {
      for (let j = 0; j < F; j++) v[o + j] = T[j * step + X[x + j]];
    }
    v[o + F] = 1;
  }
}
