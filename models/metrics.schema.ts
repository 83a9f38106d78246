import { z } from 'zod';

export const CoverageRowSchema = z.object({
  category: z.string(),
  region: z.string(),
  demandedUnits: z.number(),
  proposedUnits: z.number(),
  confirmedUnits: z.number(),
  deliveredUnits: z.number(),
  shortageUnits: z.number(),
  supplyUnits: z.number(),
  openDemands: z.number(),
  criticalShortageUnits: z.number(),
  earliestDeadline: z.string().nullable(),
});
export type CoverageRow = z.infer<typeof CoverageRowSchema>;

export const CoverageSchema = z.object({
  rows: z.array(CoverageRowSchema),
  totals: z.object({
    demandedUnits: z.number(),
    proposedUnits: z.number(),
    confirmedUnits: z.number(),
    deliveredUnits: z.number(),
    shortageUnits: z.number(),
    supplyUnits: z.number(),
  }),
  generatedAt: z.string(),
});
export type Coverage = z.infer<typeof CoverageSchema>;

export const CoverageQuerySchema = z.strictObject({
  category: z.string().trim().min(1).max(64).optional(),
  region: z.string().trim().min(1).max(64).optional(),
});

export const OptimizeSummarySchema = z.object({
  demands: z.number(),
  offers: z.number(),
  arcs: z.number(),
  unitsAllocated: z.number(),
  weightedUnits: z.number(),
  totalCost: z.number(),
  proposalsCreated: z.number(),
  proposalsWithdrawn: z.number(),
  proposalsKept: z.number(),
  previousWeightedUnits: z.number(),
  solveMs: z.number(),
});
export type OptimizeSummary = z.infer<typeof OptimizeSummarySchema>;
