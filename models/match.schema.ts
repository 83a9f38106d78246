import { z } from 'zod';

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
  category: z.string(),
  region: z.string(),
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

export const NearMissSchema = z.object({
  offerId: z.string(),
  supplierOrgName: z.string(),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
});
export type NearMiss = z.infer<typeof NearMissSchema>;

export const MatchListSchema = z.object({
  items: z.array(MatchSchema),
  nearMisses: z.array(NearMissSchema),
});

export const MatchPatchSchema = z.strictObject({
  status: z.enum(['in_production', 'shipped', 'delivered', 'cancelled']),
  note: z.string().trim().max(500).optional(),
});
export type MatchPatch = z.infer<typeof MatchPatchSchema>;

export const MatchActionSchema = z.strictObject({ note: z.string().trim().max(500).optional() }).optional();

/** Which later steps each party may take, from which statuses (shared by the server and the client). */
export const matchTransitions: Record<MatchPatch['status'], { from: readonly MatchStatus[]; by: readonly ('buyer' | 'supplier')[] }> = {
  in_production: { from: ['confirmed'], by: ['supplier'] },
  shipped: { from: ['confirmed', 'in_production'], by: ['supplier'] },
  delivered: { from: ['shipped'], by: ['buyer'] },
  cancelled: { from: [...pendingStatuses, 'confirmed', 'in_production'], by: ['buyer', 'supplier'] },
};
