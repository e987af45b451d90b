// Model files kept in the browser's own storage (IndexedDB): database "wasm-mlp", object store "models",
// one record per name. The bytes are stored as they are given (a .wmlp file, as toBytes() makes it); nothing
// here reads them. Framework-free, and safe to import anywhere: IndexedDB is only touched when a function is
// called, and where there is none (Node) every function refuses with a UsageError saying so.
//
//   await saveModelBytes("iris", model.toBytes());
//   const again = await MLP.fromBytes(await loadModelBytes("iris"));
//   await listModels();                         // [{ name: "iris", bytes: 1234, saved: Date }]
//   await removeModel("iris");

import { ModelFileError, UsageError } from "../errors.js";
import { show } from "../checks.js";

/** The IndexedDB database and object store the models live in. */
export const STORAGE_DATABASE = "wasm-mlp";
export const STORAGE_STORE = "models";

/** The longest name a saved model may have, in characters. */
export const MAX_MODEL_NAME = 200;

/** A saved model, as listModels() lists it. */
export interface SavedModel {
  name: string;
  /** The model file's size in bytes. */
  bytes: number;
  /** When it was saved. */
  saved: Date;
}

/** One record of the store. */
interface StoredModel {
  name: string;
  data: ArrayBuffer;
  saved: number;
}

/**
 * Saves a model file's bytes under `name`, replacing a model saved under that name before. Throws a
 * UsageError for a bad name or bytes, or where there is no IndexedDB; a ModelFileError when the browser
 * refuses to store it (storage full, or turned off).
 */
export async function saveModelBytes(name: string, bytes: Uint8Array | ArrayBuffer): Promise<void> {
  const fn = "saveModelBytes";
  checkName(fn, name);
  if (!(bytes instanceof ArrayBuffer) && !(bytes instanceof Uint8Array)) {
    throw new UsageError(`${fn}: the bytes must be a Uint8Array or an ArrayBuffer (a model's toBytes()), got ${show(bytes)}`);
  }
  if (bytes.byteLength === 0) throw new UsageError(`${fn}: the bytes are empty; give a model file's bytes (a model's toBytes())`);
  // a copy of just these bytes: a view may be part of a larger buffer
  const data = bytes instanceof ArrayBuffer ? bytes.slice(0) : (bytes.slice().buffer as ArrayBuffer);
  const record: StoredModel = { name, data, saved: Date.now() };
  await transact(fn, name, "readwrite", (store) => store.put(record));
}

/** The bytes saved under `name`; a ModelFileError when there is none. */
export async function loadModelBytes(name: string): Promise<Uint8Array<ArrayBuffer>> {
  const fn = "loadModelBytes";
  checkName(fn, name);
  const record = await transact<StoredModel | undefined>(fn, name, "readonly", (store) => store.get(name));
  if (!record) throw missing(fn, name);
  return new Uint8Array(record.data);
}

/** Every saved model's name, size and date, by name. */
export async function listModels(): Promise<SavedModel[]> {
  const records = await transact<StoredModel[]>("listModels", undefined, "readonly", (store) => store.getAll());
  return records
    .map((r) => ({ name: r.name, bytes: r.data.byteLength, saved: new Date(r.saved) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Removes the model saved under `name`; a ModelFileError when there is none. */
export async function removeModel(name: string): Promise<void> {
  const fn = "removeModel";
  checkName(fn, name);
  let found = false;
  // one transaction: look, then delete, so the answer is about what was removed
  await transact(fn, name, "readwrite", (store) => {
    const count = store.count(name);
    count.onsuccess = () => {
      found = count.result > 0;
      if (found) store.delete(name);
    };
    return count;
  });
  if (!found) throw missing(fn, name);
}

function checkName(fn: string, name: unknown): asserts name is string {
  const ok = typeof name === "string" && name.trim() !== "" && name.length <= MAX_MODEL_NAME && !/[\u0000-\u001f\u007f]/.test(name);
  if (!ok) {
    throw new UsageError(`${fn}: the name must be a string of 1 to ${MAX_MODEL_NAME} characters, not blank and without control characters, got ${show(name)}`);
  }
}

const missing = (fn: string, name: string) =>
  new ModelFileError(`${fn}: no model named ${JSON.stringify(name)} in this browser's storage`);

/** The IndexedDB factory, or a UsageError saying there is none here. */
function factory(fn: string): IDBFactory {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) {
    throw new UsageError(`${fn}: there is no IndexedDB here (it is browser storage; in Node, write the model's toBytes() to a file instead)`);
  }
  return idb;
}

/** What went wrong in IndexedDB, as a ModelFileError naming the call (and the model). */
function storageError(fn: string, name: string | undefined, what: string, e: DOMException | Error | null | undefined): ModelFileError {
  const why = e ? `${e.name}${e.message ? `: ${e.message}` : ""}` : "unknown error";
  return new ModelFileError(`${fn}: ${what}${name === undefined ? "" : ` ${JSON.stringify(name)}`} in this browser's storage (${why})`);
}

/** The database, with its store; opened once per call, so no connection is held between calls. */
function open(fn: string, version?: number): Promise<IDBDatabase> {
  const idb = factory(fn);
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = version === undefined ? idb.open(STORAGE_DATABASE) : idb.open(STORAGE_DATABASE, version);
    } catch (e) {
      // e.g. a page whose origin may not use storage
      return reject(storageError(fn, undefined, "cannot open the database", e as Error));
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORAGE_STORE)) db.createObjectStore(STORAGE_STORE, { keyPath: "name" });
    };
    req.onerror = () => reject(storageError(fn, undefined, "cannot open the database", req.error));
    req.onblocked = () => reject(new ModelFileError(`${fn}: the database is held open by another tab of this page with an older version; close it and try again`));
    req.onsuccess = () => {
      const db = req.result;
      // another tab upgrading the database must not wait for this connection
      db.onversionchange = () => db.close();
      if (db.objectStoreNames.contains(STORAGE_STORE)) return resolve(db);
      // a database of that name without the store (made by something else): add the store in a new version
      const next = db.version + 1;
      db.close();
      open(fn, next).then(resolve, reject);
    };
  });
}

/** Runs one request in a transaction on the store and resolves with its result once the transaction commits. */
async function transact<T>(fn: string, name: string | undefined, mode: IDBTransactionMode, request: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open(fn);
  try {
    return await new Promise<T>((resolve, reject) => {
      const what = mode === "readonly" ? "cannot read" : "cannot write";
      let tx: IDBTransaction, req: IDBRequest;
      try {
        tx = db.transaction(STORAGE_STORE, mode);
        req = request(tx.objectStore(STORAGE_STORE));
      } catch (e) {
        // e.g. a record the browser cannot store
        return reject(storageError(fn, name, what, e as Error));
      }
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(storageError(fn, name, what, tx.error ?? req.error));
      tx.onabort = () => reject(tx.error ? storageError(fn, name, what, tx.error) : new ModelFileError(`${fn}: the transaction was aborted`));
    });
  } finally {
    db.close();
  }
}

const SCHEME = "indexeddb://";

/** The stored model's name in a location "indexeddb://NAME" (the only kind of location model.save takes). */
export function storedName(fn: string, url: unknown): string {
  if (typeof url !== "string" || !url.startsWith(SCHEME) || url.length === SCHEME.length) {
    throw new UsageError(`${fn}: the location must be "${SCHEME}NAME" (the browser's storage), got ${typeof url === "string" ? JSON.stringify(url) : typeof url}`);
  }
  return url.slice(SCHEME.length);
}
