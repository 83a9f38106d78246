import type { Model } from 'mongoose';
import { RevisionModel } from '../../models/event.model';
import { AppError } from '../errors';

type VersionedDoc = { _id: unknown; version: number };

function isDuplicateKey(err: unknown) {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

function revisionId(coll: string, id: string, version: number) {
  return `${coll}:${id}:${version}`;
}

/** The document's mutable state as stored in a revision: everything but `_id` and `createdAt`. */
function snapshot<T extends VersionedDoc>(doc: T): Record<string, unknown> {
  const { _id, createdAt, ...rest } = doc as T & { createdAt?: unknown };
  void _id;
  void createdAt;
  return rest;
}

/**
 * Reads a versioned document and rolls it forward over any revision already committed but not yet
 * copied onto it (a writer that stopped between the two steps, or a stale write on FerretDB v1,
 * whose updates are read-then-write and so not atomic).
 */
export async function loadVersioned<T extends VersionedDoc>(model: Model<any>, id: string): Promise<T | null> {
  const coll = model.collection.collectionName;
  let doc = (await model.findById(id).lean()) as T | null;
  if (!doc) return null;
  for (;;) {
    const next = await RevisionModel.findById(revisionId(coll, id, doc.version + 1)).lean();
    if (!next) return doc;
    const state = next.state as Record<string, unknown>;
    await model.collection.updateOne({ _id: doc._id } as never, { $set: { ...state, version: next.version } });
    doc = { ...doc, ...state, version: next.version } as T;
  }
}

const settling = new Map<string, NodeJS.Timeout>();

/**
 * Re-reads a document shortly after a write and rolls it forward if it is behind its newest revision.
 * On FerretDB v1 an update is read-then-write, so a slow writer of an older revision can, rarely, land
 * after a newer one; the revisions stay right, and this puts the document back in step. (A version guard
 * in the filter would not make it atomic there, and FerretDB's SQLite backend turns any filter beyond a
 * bare `_id` into a collection scan.)
 */
function settleLater(model: Model<any>, id: string, delayMs = 300) {
  const key = `${model.collection.collectionName}:${id}`;
  if (settling.has(key)) return;
  const timer = setTimeout(() => {
    settling.delete(key);
    loadVersioned(model, id).catch(() => undefined);
  }, delayMs);
  timer.unref();
  settling.set(key, timer);
}

export interface MutateOptions {
  /** Who and why, kept with the revision for audit. */
  meta?: Record<string, unknown>;
  maxAttempts?: number;
}

/**
 * Compare-and-swap update of one document: `change` gets the current state and returns the next one
 * (or throws an AppError, e.g. 409 when units would go negative). The new version is claimed by
 * inserting a revision with a unique `_id`; a writer that loses the race re-reads and tries again, so
 * the decision is always taken on the latest state, on MongoDB and on FerretDB alike.
 * @throws AppError not_found when the document does not exist; conflict after too many lost races
 */
export async function mutateVersioned<T extends VersionedDoc>(
  model: Model<any>,
  id: string,
  change: (current: T) => T,
  options: MutateOptions = {},
): Promise<{ before: T; after: T }> {
  const coll = model.collection.collectionName;
  const maxAttempts = options.maxAttempts ?? 400;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await loadVersioned<T>(model, id);
    if (!current) throw AppError.notFound(model.modelName);
    const proposed = change({ ...current });
    const version = current.version + 1;
    const next = { ...proposed, _id: current._id, version, updatedAt: new Date() } as T;
    const state = snapshot(next);
    try {
      await RevisionModel.create({
        _id: revisionId(coll, id, version),
        coll,
        docId: id,
        version,
        state,
        meta: options.meta ?? null,
        at: new Date(),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Lost the race for this version: back off a little (jittered) and decide again on fresh state.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 2)));
      continue;
    }
    await model.collection.updateOne({ _id: current._id } as never, { $set: state });
    settleLater(model, id);
    return { before: current, after: next };
  }
  throw AppError.conflict('The record is being changed by many requests at once; retry');
}

/** Inserts a new versioned document at version 0 (its creation needs no claim). */
export async function createVersioned<T>(model: Model<any>, doc: Record<string, unknown>): Promise<T> {
  const created = await model.create({ ...doc, version: 0 });
  return created.toObject() as T;
}

/**
 * Compare-and-swap of many documents at once (the optimizer's withdrawals): claims every next version in
 * one unordered insert, then writes the documents that won their claim. Returns the ones changed; a
 * document someone else changed meanwhile is left alone.
 */
export async function mutateManyVersioned<T extends VersionedDoc>(
  model: Model<any>,
  currents: T[],
  change: (current: T) => T | null,
  meta?: Record<string, unknown>,
): Promise<T[]> {
  const coll = model.collection.collectionName;
  const at = new Date();
  const nexts: T[] = [];
  for (const c of currents) {
    const proposed = change({ ...c });
    if (proposed) nexts.push({ ...proposed, _id: c._id, version: c.version + 1, updatedAt: at } as T);
  }
  if (!nexts.length) return [];
  const revisions = nexts.map((n) => ({
    _id: revisionId(coll, String(n._id), n.version),
    coll,
    docId: String(n._id),
    version: n.version,
    state: snapshot(n),
    meta: meta ?? null,
    at,
  }));
  const lost = new Set<number>();
  try {
    await RevisionModel.collection.insertMany(revisions as never[], { ordered: false });
  } catch (err) {
    type WriteError = { index?: number; err?: { index?: number } };
    const writeErrors = (err as { writeErrors?: WriteError[] | WriteError }).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (!list.length) throw err;
    for (const e of list) lost.add(e.index ?? e.err?.index ?? -1);
  }
  const won = nexts.filter((_, i) => !lost.has(i));
  for (const n of won) settleLater(model, String(n._id));
  if (won.length) {
    await model.collection.bulkWrite(
      won.map((n) => ({ updateOne: { filter: { _id: n._id }, update: { $set: snapshot(n) } } })) as never[],
      { ordered: false },
    );
  }
  return won;
}
