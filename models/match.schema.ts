import { z } from 'zod';
import { NoteSchema } from './common.schema';

export const MatchStatusSchema = z.enum([
  'proposed',
  'accepted_by_buyer',
  'accepted_by_supplier',
  'confirmed',
  'in_production',
  'shipped',
  'delivered',
  'declined',
  'cancelled',
  'expired',
  'withdrawn',
]);
export type MatchStatus = z.infer<typeof MatchStatusSchema>;

/** Statuses that hold reserved units on both postings. */
export const reservingStatuses: readonly MatchStatus[] = ['confirmed', 'in_production', 'shipped', 'delivered'];
/** Statuses of a proposal still waiting for one or both parties. */
export const pendingStatuses: readonly MatchStatus[] = ['proposed', 'accepted_by_buyer', 'accepted_by_supplier'];

export const ScorePartsSchema = z.object({
  capability: z.number(),
  coverage: z.number(),
  distance: z.number(),
  leadTime: z.number(),
  price: z.number(),
  reliability: z.number(),
});
export type ScoreParts = z.infer<typeof ScorePartsSchema>;

export const ExplanationSchema = z.object({
  mode: z.enum(['direct', 'conversion']),
  conversionDays: z.number(),
  distanceKm: z.number(),
  transitDays: z.number(),
  earliestStart: z.string(),
  deliverableUnits: z.number(),
  coverageShare: z.number(),
  pricePerUnit: z.number().nullable(),
  maxPricePerUnit: z.number().nullable(),
  reliability: z.number(),
  weights: ScorePartsSchema,
  parts: ScorePartsSchema,
  summary: z.array(z.string()),
});
export type Explanation = z.infer<typeof ExplanationSchema>;

export const MatchTransitionSchema = z.object({
  status: MatchStatusSchema,
  actorId: z.string().nullable(),
  actorRole: z.string(),
  at: z.string(),
  note: z.string().optional(),
});

export const MatchSchema = z.object({
  id: z.string(),
  demandId: z.string(),
  offerId: z.string(),
  buyerOrgId: z.string(),
  supplierOrgId: z.string(),
  buyerOrgName: z.string(),
  supplierOrgName: z.string(),
  buyerOrgNameZh: z.string().optional().describe('(extension) the buyer organization\'s name in Chinese'),
  supplierOrgNameZh: z.string().optional().describe('(extension) the supplier organization\'s name in Chinese'),
  category: z.string(),
  region: z.string().describe("the buyer's home province"),
  deliveryRegion: z.string().optional().describe('(extension) the province of the delivery place (coordinators\' region filters follow it)'),
  supplierRegion: z.string(),
  priority: z.string(),
  units: z.number(),
  score: z.number(),
  explanation: ExplanationSchema,
  status: MatchStatusSchema,
  source: z.enum(['incremental', 'optimizer']),
  buyerAcceptedAt: z.string().nullable(),
  supplierAcceptedAt: z.string().nullable(),
  history: z.array(MatchTransitionSchema),
  /** The offer's product line (index in its products) that makes the units. */
  line: z.number().int().optional(),
  /** When the units must be made: the demand's deadline less the transit days. */
  dueAt: z.string().optional(),
  /** A pending proposal lapses at this time unless answered (a hold after one side accepted is shorter). */
  expiresAt: z.string().optional(),
  /** For a proposal that lapsed: the side that did not answer (`both` when neither did). */
  lapsedBy: z.enum(['buyer', 'supplier', 'both']).optional(),
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Match = z.infer<typeof MatchSchema>;

/** A structured reason: a stable code, parameters (ids, numbers, ISO dates) and an English message. */
export const ReasonSchema = z.object({
  code: z.string(),
  params: z.record(z.string(), z.unknown()).optional().describe('(extension) ids and numbers for rendering in the viewer\'s language; see docs/API.md'),
  message: z.string(),
});
export type ReasonDto = z.infer<typeof ReasonSchema>;

/** Why one supplier (all its offers together) does not cover more of a demand. */
export const NearMissSchema = z.object({
  offerId: z.string().describe('the first of its offers (empty for buyers)'),
  supplierOrgName: z.string().describe('for buyers an anonymous label, "Supplier A"'),
  supplierOrgNameZh: z.string().optional().describe('(extension) in Chinese; for buyers "供应商 A"'),
  offerIds: z.array(z.string()).optional().describe('(extension) every offer of the supplier concerned (empty for buyers)'),
  proposedUnits: z.number().optional().describe('(extension) units this supplier already proposed or confirmed for the demand'),
  reasons: z.array(ReasonSchema),
});
export type NearMiss = z.infer<typeof NearMissSchema>;

export const ShortfallSchema = z.object({
  quantity: z.number(),
  confirmedUnits: z.number(),
  proposedUnits: z.number(),
  shortUnits: z.number().describe('quantity less confirmed less proposed'),
});

export const MatchListSchema = z.object({
  items: z.array(MatchSchema),
  nearMisses: z.array(NearMissSchema).describe('for a demand with units short: why each nearby supplier covers no more of it, one entry per supplier'),
  shortfall: ShortfallSchema.optional().describe('(extension) for a demand: how much is still short'),
});

export const MatchPatchSchema = z.strictObject({
  status: z.enum(['in_production', 'shipped', 'delivered', 'cancelled']),
  note: NoteSchema.optional(),
});
export type MatchPatch = z.infer<typeof MatchPatchSchema>;

export const MatchActionSchema = z.strictObject({ note: NoteSchema.optional() }).optional();

/** Which later steps each party may take, from which statuses (shared by the server and the client). */
export const matchTransitions: Record<MatchPatch['status'], { from: readonly MatchStatus[]; by: readonly ('buyer' | 'supplier')[] }> = {
  in_production: { from: ['confirmed'], by: ['supplier'] },
  shipped: { from: ['confirmed', 'in_production'], by: ['supplier'] },
  delivered: { from: ['shipped'], by: ['buyer'] },
  cancelled: { from: [...pendingStatuses, 'confirmed', 'in_production'], by: ['buyer', 'supplier'] },
};

/** (extension) Why an offer gets nothing or less than it could: reasons counted over the open demands it could serve. */
export const OfferReasonsSchema = z.object({
  offerId: z.string(),
  status: z.string(),
  proposedUnits: z.number(),
  reservedUnits: z.number(),
  candidateDemands: z.number().describe('open demands in its categories it has no proposal for'),
  reasons: z.array(ReasonSchema.extend({
    demands: z.number().describe('demands the reason applies to'),
    units: z.number().nullable().describe('units those demands still need, when they are all of one product; null when of several (never added across products)'),
    unitsByCategory: z.array(z.object({ category: z.string(), units: z.number() })).describe('(extension) units those demands still need, per product (catalog category id), largest first'),
  })),
});
export type OfferReasons = z.infer<typeof OfferReasonsSchema>;
