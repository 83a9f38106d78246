import { z } from 'zod';
import { trimmedText } from './common.schema';

const UnitSchema = z.object({ en: z.string(), zh: z.string() }).describe("the category's unit in the catalog");

export const CoverageRowSchema = z.object({
  category: z.string(),
  region: z.string().describe('demands: the province of the delivery place; supply: the province of the offer'),
  demandedUnits: z.number(),
  proposedUnits: z.number(),
  confirmedUnits: z.number(),
  deliveredUnits: z.number(),
  shortageUnits: z.number(),
  supplyUnits: z.number(),
  openDemands: z.number(),
  criticalShortageUnits: z.number(),
  earliestDeadline: z.string().nullable(),
  unit: UnitSchema.optional().describe('(extension)'),
});
export type CoverageRow = z.infer<typeof CoverageRowSchema>;

/** (extension) One product across regions, in its own unit, with its value at the catalog's reference price. */
export const CategoryCoverageSchema = z.object({
  category: z.string(),
  unit: UnitSchema,
  referencePricePerUnit: z.number().describe('CNY per unit (catalog)'),
  demandedUnits: z.number(),
  proposedUnits: z.number(),
  confirmedUnits: z.number(),
  deliveredUnits: z.number(),
  shortageUnits: z.number(),
  supplyUnits: z.number(),
  openDemands: z.number(),
  criticalShortageUnits: z.number(),
  confirmedShare: z.number().describe('confirmed / demanded units, 0..1 (0 when nothing is demanded)'),
  coveredShare: z.number().describe('(confirmed + proposed) / demanded units, 0..1'),
  deliveredShare: z.number().describe('delivered / demanded units, 0..1'),
});
export type CategoryCoverage = z.infer<typeof CategoryCoverageSchema>;

/** (extension) Figures across products: shares and CNY values, never a sum of unlike units. */
export const CoverageSummarySchema = z.object({
  basis: z.literal('value_cny').describe('shares are weighted by value at the catalog reference prices'),
  demandedValueCny: z.number(),
  proposedValueCny: z.number(),
  confirmedValueCny: z.number(),
  deliveredValueCny: z.number(),
  shortageValueCny: z.number(),
  supplyValueCny: z.number(),
  confirmedShare: z.number().describe('confirmed / demanded value, 0..1'),
  coveredShare: z.number().describe('(confirmed + proposed) / demanded value, 0..1'),
  deliveredShare: z.number().describe('delivered / demanded value, 0..1'),
  shortageShare: z.number().describe('short / demanded value, 0..1'),
  categoriesShort: z.number().describe('categories with a shortage'),
  criticalShortage: z.array(z.object({ category: z.string(), unit: UnitSchema, units: z.number() })).describe('critical units short, per category in its own unit'),
  openDemands: z.number(),
});
export type CoverageSummary = z.infer<typeof CoverageSummarySchema>;

export const CoverageSchema = z.object({
  rows: z.array(CoverageRowSchema),
  totals: z
    .object({
      demandedUnits: z.number(),
      proposedUnits: z.number(),
      confirmedUnits: z.number(),
      deliveredUnits: z.number(),
      shortageUnits: z.number(),
      supplyUnits: z.number(),
    })
    .describe('Deprecated: adds units of different products (pieces and kilograms); kept for compatibility, do not show. Use byCategory and summary'),
  byCategory: z.array(CategoryCoverageSchema).optional().describe('(extension) per product in its own unit'),
  summary: CoverageSummarySchema.optional().describe('(extension) unit-free figures across products'),
  generatedAt: z.string(),
});
export type Coverage = z.infer<typeof CoverageSchema>;

export const CoverageQuerySchema = z.strictObject({
  category: trimmedText(1, 64).optional(),
  region: trimmedText(1, 64).optional(),
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

/** (extension) One day of coverage: the sums as they stood at the end of that day (UTC; today: now). */
export const HistoryPointSchema = z.object({
  date: z.string().describe('YYYY-MM-DD'),
  demanded: z.number(),
  proposed: z.number(),
  confirmed: z.number().describe('includes delivered'),
  delivered: z.number(),
  short: z.number(),
});
export type HistoryPoint = z.infer<typeof HistoryPointSchema>;

export const CoverageHistorySchema = z.object({
  days: z.array(z.string()),
  since: z.string().nullable().describe('(extension) YYYY-MM-DD, the day of the first demand in the Event log (null: none yet); the points of earlier days are zeros that mean "no data", not "nothing demanded"'),
  categories: z.array(z.object({ category: z.string(), unit: UnitSchema, series: z.array(HistoryPointSchema).describe('units of that product, one point per day') })),
  valueCny: z.array(HistoryPointSchema).describe('across products: CNY at the catalog reference prices, one point per day'),
  generatedAt: z.string(),
});
export type CoverageHistory = z.infer<typeof CoverageHistorySchema>;

export const CoverageHistoryQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(366).default(30),
  category: trimmedText(1, 64).optional(),
  region: trimmedText(1, 64).optional().describe('province of the delivery place'),
});
