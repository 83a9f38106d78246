import { z } from 'zod';
import { IsoDateSchema, LatLngSchema, PageQuerySchema, trimmedText, UnitStagesSchema } from './common.schema';
import { capabilityIds, categoryIds } from './catalog';
import { CertificationIdSchema } from './auth.schema';

export const CategoryIdSchema = z.enum(categoryIds);
export const CapabilityIdSchema = z.enum(capabilityIds);

const offerFields = {
  products: z
    .array(z.strictObject({ category: CategoryIdSchema, unitsPerDay: z.number().int().min(1).max(100_000_000) }))
    .min(1)
    .max(20),
  capabilities: z.array(CapabilityIdSchema).max(50),
  availableFrom: IsoDateSchema,
  availableTo: IsoDateSchema,
  location: LatLngSchema.optional(),
  minOrderUnits: z.number().int().min(1).max(1_000_000_000).optional(),
  pricePerUnit: z.number().positive().max(10_000_000).optional(),
  conversionLeadDays: z.number().int().min(0).max(365).optional(),
  certifications: z.array(CertificationIdSchema).max(50).optional(),
};

function datesInOrder(v: { availableFrom?: string; availableTo?: string }, ctx: z.RefinementCtx) {
  if (v.availableTo !== undefined && Date.parse(v.availableTo) <= Date.now()) {
    ctx.addIssue({ code: 'custom', path: ['availableTo'], message: 'availableTo must be in the future' });
  }
  if (v.availableFrom !== undefined && v.availableTo !== undefined && Date.parse(v.availableTo) <= Date.parse(v.availableFrom)) {
    ctx.addIssue({ code: 'custom', path: ['availableTo'], message: 'availableTo must be after availableFrom' });
  }
}

export const OfferInputSchema = z.strictObject(offerFields).superRefine(datesInOrder);
export type OfferInput = z.infer<typeof OfferInputSchema>;

export const OfferPatchSchema = z
  .strictObject({
    products: offerFields.products.optional(),
    capabilities: offerFields.capabilities.optional(),
    availableFrom: offerFields.availableFrom.optional(),
    availableTo: offerFields.availableTo.optional(),
    location: offerFields.location,
    minOrderUnits: offerFields.minOrderUnits,
    pricePerUnit: offerFields.pricePerUnit,
    conversionLeadDays: offerFields.conversionLeadDays,
    certifications: offerFields.certifications,
  })
  .superRefine(datesInOrder)
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to change' });
export type OfferPatch = z.infer<typeof OfferPatchSchema>;

export const PostingStatusSchema = z.enum(['open', 'fulfilled', 'withdrawn', 'expired']);
export type PostingStatus = z.infer<typeof PostingStatusSchema>;

export const OfferSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  organizationName: z.string(),
  organizationNameZh: z.string().optional().describe('(extension) the name in Chinese (the name when it has none)'),
  region: z.string(),
  products: z.array(z.object({ category: z.string(), unitsPerDay: z.number() })),
  capabilities: z.array(z.string()),
  certifications: z.array(z.string()),
  availableFrom: z.string(),
  availableTo: z.string(),
  location: LatLngSchema,
  minOrderUnits: z.number(),
  pricePerUnit: z.number().nullable(),
  conversionLeadDays: z.number(),
  totalUnits: z.number(),
  reservedUnits: z.number(),
  deliveredUnits: z.number(),
  remainingUnits: z.number(),
  proposedUnits: z.number(),
  stages: UnitStagesSchema.optional().describe('(extension) reserved units by stage; they add up to reservedUnits'),
  status: PostingStatusSchema,
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Offer = z.infer<typeof OfferSchema>;

export const PostingListQuerySchema = z.strictObject({
  category: CategoryIdSchema.optional(),
  region: trimmedText(1, 64)
    .optional()
    .describe("a province: offers of suppliers based there (the offer's region); demands delivered there (deliveryRegion, not the buyer's home region)"),
  status: PostingStatusSchema.optional(),
  ...PageQuerySchema,
});
export type PostingListQuery = z.infer<typeof PostingListQuerySchema>;

export const OfferListSchema = z.object({ items: z.array(OfferSchema), total: z.number(), limit: z.number(), offset: z.number() });

/** One production line's days: what its output is committed to (confirmed matches), proposed for, and what is free. */
export const LineScheduleSchema = z.object({
  line: z.number().int(),
  category: z.string(),
  unitsPerDay: z.number(),
  days: z.array(z.object({ date: z.string(), committed: z.number(), proposed: z.number(), free: z.number() })),
});
export type LineSchedule = z.infer<typeof LineScheduleSchema>;
export const LineScheduleListSchema = z.object({ offerId: z.string(), lines: z.array(LineScheduleSchema) });
export type LineScheduleList = z.infer<typeof LineScheduleListSchema>;
