// Reads IDX files, the format MNIST, Fashion-MNIST and EMNIST ship in. Pure functions over bytes that are
// already inflated (the caller handles gzip), so the same code runs in Node and in browsers.
//
// Layout, all integers big-endian:
//   offset 0  u8 0, u8 0      magic
//   offset 2  u8              type code of the values (IDX_TYPES below)
//   offset 3  u8              number of dimensions, 1..4
//   offset 4  u32 × dims      size of each dimension, outermost first
//   then      the values, row-major, each big-endian
// An images file is 3-D [n, rows, cols] of unsigned bytes; a labels file is 1-D [n] of unsigned bytes.
//
// Every malformed input is a DataError whose one-line message starts with the file's name.

import { DataError } from "../errors.js";

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** The type code from the header (0x08 unsigned byte, …). */
  type: number;
  /** Size of each dimension, outermost first. */
  dims: number[];
  /** The values, row-major. uint8 and int8 are views of the input bytes; wider types are decoded copies. */
  data: IdxData;
}

export interface IdxImages {
  n: number;
  rows: number;
  cols: number;
  /** rows × cols. */
  features: number;
  /** n × features pixels 0..255, row-major: a view of the input bytes, not a copy. */
  pixels: Uint8Array;
}

interface IdxType {
  name: string;
  /** Bytes per value. */
  size: number;
  /** The count values starting at byte offset of bytes (which holds them all). */
  decode(bytes: Uint8Array, offset: number, count: number): IdxData;
}

const UINT8 = 0x08;

/** The type codes the format defines: the one table of them. */
const IDX_TYPES: ReadonlyMap<number, IdxType> = new Map<number, IdxType>([
  // views rather than subarray(), so a Node Buffer passed in does not come back as a Buffer
  [UINT8, { name: "uint8", size: 1, decode: (b, o, n) => new Uint8Array(b.buffer, b.byteOffset + o, n) }],
  [0x09, { name: "int8", size: 1, decode: (b, o, n) => new Int8Array(b.buffer, b.byteOffset + o, n) }],
  [0x0b, { name: "int16", size: 2, decode: bigEndian(Int16Array, (v, o) => v.getInt16(o)) }],
  [0x0c, { name: "int32", size: 4, decode: bigEndian(Int32Array, (v, o) => v.getInt32(o)) }],
  [0x0d, { name: "float32", size: 4, decode: bigEndian(Float32Array, (v, o) => v.getFloat32(o)) }],
  [0x0e, { name: "float64", size: 8, decode: bigEndian(Float64Array, (v, o) => v.getFloat64(o)) }],
]);

const MAX_DIMS = 4;

/** Labels are bytes, and 255 means "no label" elsewhere (NO_LABEL in csv.ts), so a class must be below it. */
const MAX_CLASSES = 255;

/** A decoder into a fresh array; DataView reads big-endian by default and at any alignment. */
function bigEndian<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  Typed: { new (n: number): T; BYTES_PER_ELEMENT: number },
  get: (view: DataView, offset: number) => number,
): IdxType["decode"] {
  const size = Typed.BYTES_PER_ELEMENT;
  return (bytes, offset, count) => {
    const out = new Typed(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * size);
    for (let i = 0; i < count; i++) out[i] = get(view, i * size);
    return out;
  };
}

const hex = (code: number) => "0x" + code.toString(16).toUpperCase().padStart(2, "0");

/** "0x08 uint8, 0x09 int8, …" for messages. */
const knownTypes = () => [...IDX_TYPES].map(([code, t]) => `${hex(code)} ${t.name}`).join(", ");

interface Header {
  code: number;
  type: IdxType;
  dims: number[];
  /** Where the values start: 4 + 4 × dims. */
  offset: number;
}

/** True when bytes start like an IDX file: the magic, a known type code, 1..4 dimensions, and room for them. */
export function isIdx(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0 &&
    bytes[1] === 0 &&
    IDX_TYPES.has(bytes[2]) &&
    bytes[3] >= 1 &&
    bytes[3] <= MAX_DIMS &&
    bytes.length >= 4 + 4 * bytes[3]
  );
}

/** Checks and reads the header; says what is wrong with it otherwise. */
function readHeader(bytes: Uint8Array, file: string): Header {
  if (bytes.length < 4) {
    throw new DataError(`${file}: too short for an IDX header (${bytes.length} bytes; the magic number alone takes 4)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const start = [...bytes.subarray(0, 4)].map(hex).join(" ");
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b ? " (that is gzip's magic: inflate the file first)" : "";
    throw new DataError(`${file}: not an IDX file: it starts with ${start}, not two zero bytes${gzip}`);
  }
  const code = bytes[2];
  const type = IDX_TYPES.get(code);
  if (!type) throw new DataError(`${file}: unknown IDX type code ${hex(code)} (known: ${knownTypes()})`);
  const ndims = bytes[3];
  if (ndims < 1 || ndims > MAX_DIMS) {
    throw new DataError(`${file}: the header gives ${ndims} dimensions; an IDX file has 1 to ${MAX_DIMS}`);
  }
  const offset = 4 + 4 * ndims;
  if (bytes.length < offset) {
    throw new DataError(
      `${file}: too short for an IDX header (${bytes.length} bytes; ${ndims} dimensions need ${offset})`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, offset);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  return { code, type, dims, offset };
}

/**
 * The values after the header, once their size matches what the header promises exactly; `what` describes
 * them for the message ("60000 images of 28x28"). The byte count is a BigInt: four u32 dimensions multiply to
 * up to 2^128, beyond what a double holds exactly, and a 32-bit product would wrap to a small number.
 */
function body(bytes: Uint8Array, file: string, h: Header, what: string): IdxData {
  const promised = h.dims.reduce((p, d) => p * BigInt(d), BigInt(h.type.size));
  const held = bytes.length - h.offset;
  const promise = `${what} (${promised} bytes)`;
  if (promised > BigInt(held)) {
    throw new DataError(`${file}: the header promises ${promise} but the file holds ${held} bytes after the header`);
  }
  if (promised < BigInt(held)) {
    const extra = held - Number(promised);
    throw new DataError(
      `${file}: the header promises ${promise} but the file holds ${held} bytes after the header, ${extra} too many`,
    );
  }
  return h.type.decode(bytes, h.offset, Number(promised) / h.type.size);
}

/** Any IDX file, of any type code. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const h = readHeader(bytes, file);
  const data = body(bytes, file, h, `${h.dims.join("x")} ${h.type.name} values`);
  return { type: h.code, dims: h.dims, data };
}

/** What an images or a labels file must hold, for checking a header and saying what is wrong. */
interface Role {
  kind: string;
  /** The dimensions' names, outermost first. */
  shape: string[];
  values: string;
}
const IMAGES_FILE: Role = { kind: "an images file", shape: ["n", "rows", "cols"], values: "pixels" };
const LABELS_FILE: Role = { kind: "a labels file", shape: ["n"], values: "labels" };

/** Checks the header has the role's number of dimensions and unsigned-byte values. */
function checkRole(h: Header, file: string, role: Role): void {
  const rank = role.shape.length;
  if (h.dims.length !== rank) {
    throw new DataError(
      `${file}: ${role.kind} must have ${rank} dimension${rank === 1 ? "" : "s"} [${role.shape.join(", ")}], ` +
        `but its header gives ${h.dims.length} (${h.dims.join("x")})`,
    );
  }
  if (h.code !== UINT8) {
    throw new DataError(
      `${file}: the ${role.values} are ${h.type.name} (type code ${hex(h.code)}); ` +
        `${role.kind} must hold unsigned bytes (type code ${hex(UINT8)})`,
    );
  }
}

/**
 * An images file (3-D uint8 [n, rows, cols]) and its labels file (1-D uint8 [n]). Labels must be below
 * `classes`, which is max label + 1 (at least 2) when not given. Pixels and labels are views of the inputs.
 */
export function readIdxPair(
  images: Uint8Array,
  imagesFile: string,
  labels: Uint8Array,
  labelsFile: string,
  classes?: number,
): { images: IdxImages; labels: Uint8Array; classes: number } {
  if (classes !== undefined && !(Number.isInteger(classes) && classes >= 2 && classes <= MAX_CLASSES)) {
    throw new RangeError(`classes must be an integer from 2 to ${MAX_CLASSES}, got ${classes}`);
  }

  const ih = readHeader(images, imagesFile);
  checkRole(ih, imagesFile, IMAGES_FILE);
  const [n, rows, cols] = ih.dims;
  const pixels = body(images, imagesFile, ih, `${n} images of ${rows}x${cols}`) as Uint8Array;
  if (n === 0) throw new DataError(`${imagesFile}: the header gives 0 images`);
  if (rows === 0 || cols === 0) throw new DataError(`${imagesFile}: the images are ${rows}x${cols}: no pixels`);

  const lh = readHeader(labels, labelsFile);
  checkRole(lh, labelsFile, LABELS_FILE);
  const y = body(labels, labelsFile, lh, `${lh.dims[0]} labels`) as Uint8Array;
  if (y.length !== n) {
    throw new DataError(`${labelsFile}: holds ${y.length} labels but ${imagesFile} holds ${n} images`);
  }

  const limit = classes ?? MAX_CLASSES;
  let max = 0;
  for (let i = 0; i < y.length; i++) {
    const label = y[i];
    if (label >= limit) {
      const why = classes === undefined
        ? `${MAX_CLASSES} marks a missing label, so labels must be 0..${MAX_CLASSES - 1}`
        : `labels must be 0..${classes - 1} for ${classes} classes`;
      throw new DataError(`${labelsFile}: label ${label} at index ${i} is out of range (${why})`);
    }
    if (label > max) max = label;
  }

  return {
    images: { n, rows, cols, features: rows * cols, pixels },
    labels: y,
    classes: classes ?? Math.max(2, max + 1),
  };
}

/**
 * Where the labels file for an images file probably is: the same directory and name with "images" → "labels"
 * and "idx3" → "idx1", the same compression first, then the other. "train-images-idx3-ubyte.gz" gives
 * ["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"]; "t10k-images.idx3-ubyte" (Kaggle's spelling)
 * gives ["t10k-labels.idx1-ubyte", "t10k-labels.idx1-ubyte.gz"]. Empty when the name does not follow the
 * pattern.
 */
export function labelsFileFor(imagesPath: string): string[] {
  const cut = Math.max(imagesPath.lastIndexOf("/"), imagesPath.lastIndexOf("\\")) + 1;
  const dir = imagesPath.slice(0, cut);
  const m = /^(.*)images([.-])idx3([.-]ubyte)(\.gz)?$/.exec(imagesPath.slice(cut));
  if (!m) return [];
  const [, prefix, sep, rest, gz] = m;
  const plain = `${dir}${prefix}labels${sep}idx1${rest}`;
  return gz ? [plain + gz, plain] : [plain, plain + ".gz"];
}
