import { z } from 'zod';
import { IsoDateSchema, LatLngSchema, NoteSchema, trimmedText } from './common.schema';
import { EmailSchema, PasswordSchema } from './auth.schema';
import { certificationIds, SectorSchema } from './catalog';
import { provinces } from './provinces';

/**
 * Trust: an organization's certifications as records with evidence and a verification state, coordinators'
 * scopes, and supplier profiles. Shared with the browser client: no Node or database imports here.
 */

/** claimed: ticked or described, no evidence; submitted: evidence uploaded, awaiting a coordinator; expired: past validUntil. */
export const CertificationStateSchema = z.enum(['claimed', 'submitted', 'verified', 'rejected', 'expired']);
export type CertificationState = z.infer<typeof CertificationStateSchema>;
/** The states a decision leaves (expired is derived from the dates). */
export type CertificationDecision = Exclude<CertificationState, 'expired'>;

/** `<organizationId>.<certification>`: one record per organization and catalog certification. */
export const CertificationRecordIdSchema = z.string().regex(/^[0-9a-f]{24}\.[a-z0-9-]{1,64}$/, 'must be <organizationId>.<certification id>');
export const CertificationRecordParamsSchema = z.strictObject({ id: CertificationRecordIdSchema });
export const CertificationParamsSchema = z.strictObject({ certification: z.enum(certificationIds) });

export const EvidenceSchema = z.object({
  fileId: z.string(),
  filename: z.string(),
  contentType: z.enum(['application/pdf', 'image/png', 'image/jpeg']),
  size: z.number().int(),
  uploadedAt: z.string(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const CertificationHistorySchema = z.object({
  state: CertificationStateSchema,
  actorId: z.string().nullable(),
  actorRole: z.string(),
  at: z.string(),
  note: z.string().optional(),
});

export const CertificationRecordSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  organizationName: z.string(),
  organizationNameZh: z.string().describe('(extension) the name in Chinese (the name when it has none)'),
  region: z.string(),
  certification: z.string(),
  certificateNumber: z.string().nullable(),
  issuer: z.string().nullable(),
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  evidence: EvidenceSchema.nullable(),
  /** The state now: `decision`, or expired once validUntil has passed (a rejection stays rejected). */
  state: CertificationStateSchema,
  /** The last decision or submission (claimed, submitted, verified, rejected). */
  decision: z.enum(['claimed', 'submitted', 'verified', 'rejected']),
  rejectionReason: z.string().nullable(),
  /** Where the claim comes from: a record the organization keeps, or only a ticked box (organization or offer). */
  source: z.enum(['record', 'ticked']),
  /** Sectors a coordinator's scope may cover: the catalog sectors requiring it and those the organization makes. */
  sectors: z.array(SectorSchema),
  history: z.array(CertificationHistorySchema),
  version: z.number().int(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type CertificationRecord = z.infer<typeof CertificationRecordSchema>;

export const CertificationListSchema = z.object({ items: z.array(CertificationRecordSchema) });

const dateOrder = (v: { validFrom?: string; validUntil?: string }) => !v.validFrom || !v.validUntil || Date.parse(v.validUntil) > Date.parse(v.validFrom);

export const CertificationDetailsSchema = z
  .strictObject({
    certificateNumber: trimmedText(1, 64),
    issuer: trimmedText(2, 160),
    validFrom: IsoDateSchema,
    validUntil: IsoDateSchema,
  })
  .refine(dateOrder, { path: ['validUntil'], message: 'validUntil must be after validFrom' });
export type CertificationDetails = z.infer<typeof CertificationDetailsSchema>;

/** Multipart fields sent with an evidence file (each optional: the details can be given before by PUT). */
export const EvidenceFieldsSchema = z
  .strictObject({
    certificateNumber: trimmedText(1, 64).optional(),
    issuer: trimmedText(2, 160).optional(),
    validFrom: IsoDateSchema.optional(),
    validUntil: IsoDateSchema.optional(),
  })
  .refine(dateOrder, { path: ['validUntil'], message: 'validUntil must be after validFrom' });

export const RejectSchema = z.strictObject({ reason: trimmedText(3, 500) });
export const VerifySchema = z.strictObject({ note: NoteSchema.optional() }).optional();

export const CertificationQueueQuerySchema = z.strictObject({
  state: z.enum(['submitted', 'verified', 'rejected', 'expired', 'claimed']).default('submitted'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const OrgCertificationsQuerySchema = z.strictObject({ organizationId: z.string().regex(/^[0-9a-f]{24}$/i).optional() });

// ---- coordinator scopes -----------------------------------------------------------------------------------

export const ProvinceSchema = z.enum(provinces.map((p) => p.id) as [string, ...string[]]);

export const CoordinatorScopeInputSchema = z.strictObject({
  regions: z.array(ProvinceSchema).max(40),
  sectors: z.array(SectorSchema).max(10),
});
export type CoordinatorScopeInput = z.infer<typeof CoordinatorScopeInputSchema>;

export const CoordinatorScopeSchema = z.object({
  userId: z.string(),
  regions: z.array(z.string()),
  sectors: z.array(z.string()),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type CoordinatorScope = z.infer<typeof CoordinatorScopeSchema>;

export const CoordinatorSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['coordinator', 'admin']),
  scope: CoordinatorScopeSchema,
});
export const CoordinatorListSchema = z.object({ items: z.array(CoordinatorSchema) });

export const CoordinatorCreateSchema = z.strictObject({
  email: EmailSchema,
  password: PasswordSchema,
  name: trimmedText(1, 120),
  regions: z.array(ProvinceSchema).max(40).default([]),
  sectors: z.array(SectorSchema).max(10).default([]),
});

// ---- supplier profiles --------------------------------------------------------------------------------------

export const SupplierRecordSchema = z.object({
  /** Proposals the supplier answered (accepted or declined). */
  answered: z.number().int(),
  confirmed: z.number().int(),
  delivered: z.number().int(),
  deliveredOnTime: z.number().int(),
  /** Delivered after the match's dueAt. */
  late: z.number().int(),
  /** Cancelled by the supplier after confirmation. */
  cancelled: z.number().int(),
  /** Proposals the supplier let lapse unanswered. */
  lapsed: z.number().int(),
});
export type SupplierRecord = z.infer<typeof SupplierRecordSchema>;

export const SupplierProfileSchema = z.object({
  organization: z.object({ id: z.string(), name: z.string(), nameZh: z.string().describe('(extension) the name in Chinese (the name when it has none)'), region: z.string(), location: LatLngSchema }),
  /** Verified certifications valid now, with their validity. */
  certifications: z.array(z.object({ certification: z.string(), certificateNumber: z.string().nullable(), issuer: z.string().nullable(), validFrom: z.string().nullable(), validUntil: z.string().nullable(), verifiedAt: z.string().nullable() })),
  /** Product lines of its open offers. */
  lines: z.array(z.object({ offerId: z.string(), category: z.string(), unitsPerDay: z.number(), availableFrom: z.string(), availableTo: z.string() })),
  locations: z.array(LatLngSchema),
  record: SupplierRecordSchema,
  reliability: z.object({
    score: z.number(),
    formula: z.string(),
    good: z.number(),
    settled: z.number(),
  }),
  /** Whether the limits for unverified organizations apply to it. */
  limited: z.boolean(),
});
export type SupplierProfile = z.infer<typeof SupplierProfileSchema>;

export const TrustStatusSchema = z.object({
  limited: z.boolean(),
  reason: z.string(),
  maxOpenOffers: z.number().int(),
  openOffers: z.number().int(),
  maxShareOfCriticalDemand: z.number(),
});
