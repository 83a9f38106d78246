import { z } from 'zod';
import { IsoDateSchema, LatLngSchema, PrioritySchema, UnitStagesSchema } from './common.schema';
import { CertificationIdSchema } from './auth.schema';
import { CategoryIdSchema, PostingStatusSchema } from './offer.schema';

function deadlineInFuture(v: { deadline?: string }, ctx: z.RefinementCtx) {
  if (v.deadline !== undefined && Date.parse(v.deadline) <= Date.now()) {
    ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'deadline must be in the future' });
  }
}

const demandFields = {
  category: CategoryIdSchema,
  quantity: z.number().int().min(1).max(1_000_000_000),
  deadline: IsoDateSchema,
  deliveryLocation: LatLngSchema,
  requiredCertifications: z.array(CertificationIdSchema).max(50).optional(),
  maxPricePerUnit: z.number().positive().max(10_000_000).optional(),
  priority: PrioritySchema.default('normal'),
};

export const DemandInputSchema = z.strictObject(demandFields).superRefine(deadlineInFuture);
export type DemandInput = z.infer<typeof DemandInputSchema>;

export const DemandPatchSchema = z
  .strictObject({
    quantity: demandFields.quantity.optional(),
    deadline: demandFields.deadline.optional(),
    deliveryLocation: demandFields.deliveryLocation.optional(),
    requiredCertifications: demandFields.requiredCertifications,
    maxPricePerUnit: demandFields.maxPricePerUnit,
    priority: PrioritySchema.optional(),
  })
  .superRefine(deadlineInFuture)
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to change' });
export type DemandPatch = z.infer<typeof DemandPatchSchema>;

export const DemandSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  organizationName: z.string(),
  organizationNameZh: z.string().optional().describe('(extension) the name in Chinese (the name when it has none)'),
  region: z.string().describe("the buyer's home province (see deliveryRegion)"),
  category: z.string(),
  quantity: z.number(),
  deadline: z.string(),
  deliveryLocation: LatLngSchema,
  requiredCertifications: z.array(z.string()),
  maxPricePerUnit: z.number().nullable(),
  priority: PrioritySchema,
  confirmedUnits: z.number(),
  deliveredUnits: z.number(),
  proposedUnits: z.number(),
  remainingUnits: z.number(),
  shortUnits: z.number().optional().describe('(extension) quantity less confirmed less proposed units (0 when withdrawn)'),
  deliveryRegion: z.string().optional().describe('(extension) the province of the delivery place (nearest provincial capital)'),
  stages: UnitStagesSchema.optional().describe('(extension) confirmed units by stage; they add up to confirmedUnits'),
  status: PostingStatusSchema,
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Demand = z.infer<typeof DemandSchema>;

export const DemandListSchema = z.object({ items: z.array(DemandSchema), total: z.number(), limit: z.number(), offset: z.number() });
