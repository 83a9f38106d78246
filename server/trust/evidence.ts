import crypto from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import mongoose from 'mongoose';
import type { Evidence } from '../../models/trust.schema';
import { AppError } from '../errors';

/** The GridFS bucket of evidence files: `evidence.files` and `evidence.chunks`. */
export const EVIDENCE_BUCKET = 'evidence';

const { GridFSBucket, ObjectId } = mongoose.mongo;
type GridFSBucket = InstanceType<typeof GridFSBucket>;

const ALLOWED: Record<string, Evidence['contentType']> = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg' };

function bucket(): GridFSBucket {
  const db = mongoose.connection.db;
  if (!db) throw AppError.dbUnavailable();
  return new GridFSBucket(db, { bucketName: EVIDENCE_BUCKET, chunkSizeBytes: 255 * 1024 });
}

/**
 * The content type of an evidence file, by its content (magic numbers), never by its name or the type the
 * client declared. @throws AppError 415 for anything but a PDF, PNG or JPEG
 */
export async function evidenceType(buf: Buffer): Promise<Evidence['contentType']> {
  const t = await fileTypeFromBuffer(buf);
  const type = t ? ALLOWED[t.ext] : undefined;
  if (!type) {
    throw new AppError(
      'unsupported_media_type',
      `Evidence must be a PDF, PNG or JPEG file; this file's content is ${t ? `${t.ext.toUpperCase()} (${t.mime})` : 'not a recognised document or image'}. Renaming a file does not change what it contains.`,
      415,
      { detected: t?.mime ?? null, allowed: Object.values(ALLOWED) },
    );
  }
  return type;
}

/** A file name safe to store and to send back in Content-Disposition. */
function cleanName(name: string, type: Evidence['contentType']): string {
  const ext = type === 'application/pdf' ? '.pdf' : type === 'image/png' ? '.png' : '.jpg';
  const base = name.replace(/\.[^.]*$/, '').replace(/[^\w\-. \u4e00-\u9fff]/g, '_').slice(0, 100) || 'evidence';
  return base + ext;
}

/** Stores an evidence file in GridFS, owned by `organizationId`. */
export async function storeEvidence(buf: Buffer, originalName: string, organizationId: string, certification: string, now: Date): Promise<Evidence> {
  const contentType = await evidenceType(buf);
  const filename = cleanName(originalName, contentType);
  const sha256 = crypto.createHash('sha256').update(buf).digest('hex');
  const id = new ObjectId();
  await new Promise<void>((resolve, reject) => {
    const up = bucket().openUploadStreamWithId(id, filename, { metadata: { organizationId, certification, contentType, sha256 } });
    up.once('error', reject);
    up.once('finish', () => resolve());
    up.end(buf);
  });
  return { fileId: id.toHexString(), filename, contentType, size: buf.length, uploadedAt: now.toISOString() };
}

/** Removes a stored file (an upload whose command was refused). */
export async function deleteEvidence(fileId: string): Promise<void> {
  await bucket().delete(new ObjectId(fileId)).catch(() => undefined);
}

export interface StoredFile {
  id: string;
  filename: string;
  length: number;
  contentType: string;
  organizationId: string;
  certification: string;
}

/** The stored file's metadata; null when there is none. */
export async function findEvidence(fileId: string): Promise<StoredFile | null> {
  if (!/^[0-9a-f]{24}$/i.test(fileId)) return null;
  const f = await bucket().find({ _id: new ObjectId(fileId) }).limit(1).next();
  if (!f) return null;
  const meta = (f.metadata ?? {}) as { organizationId?: string; certification?: string; contentType?: string };
  return { id: fileId, filename: f.filename, length: f.length, contentType: meta.contentType ?? 'application/octet-stream', organizationId: meta.organizationId ?? '', certification: meta.certification ?? '' };
}

/** The file's content as a stream. */
export function openEvidence(fileId: string) {
  return bucket().openDownloadStream(new ObjectId(fileId));
}
