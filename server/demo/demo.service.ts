import mongoose from 'mongoose';
import { buildScenario } from '../../scripts/demo/scenario';
import { findCategory } from '../../models/catalog';
import { priorityWeight } from '../../models/common.schema';
import { DemandModel } from '../../models/demand.model';
import { OfferModel } from '../../models/offer.model';
import { OrganizationModel } from '../../models/organization.model';
import type { AuthService } from '../auth/auth.service';
import { clearDatabase } from '../db/database';
import type { MatchingService } from '../matching/matching.service';
import { totalUnitsOf } from '../postings/postings.service';

export const DEMO_PASSWORD = 'fuchan-demo';

export interface DemoLogin {
  role: 'supplier' | 'buyer' | 'coordinator' | 'admin';
  email: string;
  password: string;
  organization: string;
}

export interface DemoSummary {
  organizations: number;
  offers: number;
  demands: number;
  proposals: number;
  logins: DemoLogin[];
}

/**
 * Replaces the database's content with the demo scenario (deterministic from `seed`), creates one login
 * per role, and proposes matches for every demand, most urgent first.
 */
export async function loadDemo(deps: { auth: AuthService; matching: MatchingService }, opts: { seed: number; now?: Date }): Promise<DemoSummary> {
  const now = opts.now ?? new Date();
  await clearDatabase();
  await deps.auth.init();
  const scenario = buildScenario({ seed: opts.seed, now });
  const orgIds = new Map<string, mongoose.Types.ObjectId>();
  const orgDocs = scenario.organizations.map((o) => {
    const _id = new mongoose.Types.ObjectId();
    orgIds.set(o.key, _id);
    return { _id, name: o.name, kind: o.role, region: o.region, location: o.location, certifications: o.certifications, verified: o.verified, demoKey: o.key };
  });
  const coordinatorOrg = {
    _id: new mongoose.Types.ObjectId(),
    name: 'Hubei Provincial Department of Economy and Information Technology',
    kind: 'coordinator',
    region: 'Hubei',
    location: { lat: 30.5454, lng: 114.3423 },
    certifications: [],
    verified: true,
    demoKey: 'coordinator',
  };
  await OrganizationModel.insertMany([...orgDocs, coordinatorOrg]);
  const byKey = new Map(scenario.organizations.map((o) => [o.key, o]));
  const offers = scenario.offers.map((o) => {
    const org = byKey.get(o.orgKey)!;
    const from = new Date(o.availableFrom);
    const to = new Date(o.availableTo);
    return {
      organization: orgIds.get(o.orgKey),
      organizationName: org.name,
      region: org.region,
      products: o.products,
      capabilities: o.capabilities,
      certifications: o.certifications,
      availableFrom: from,
      availableTo: to,
      location: o.location,
      minOrderUnits: o.minOrderUnits,
      pricePerUnit: o.pricePerUnit,
      conversionLeadDays: o.conversionLeadDays,
      totalUnits: totalUnitsOf(o.products, from, to),
      reservedUnits: 0,
      deliveredUnits: 0,
      status: 'open',
      version: 0,
    };
  });
  const demands = scenario.demands.map((d) => {
    const org = byKey.get(d.orgKey)!;
    return {
      organization: orgIds.get(d.orgKey),
      organizationName: org.name,
      region: org.region,
      category: d.category,
      quantity: d.quantity,
      deadline: new Date(d.deadline),
      deliveryLocation: d.deliveryLocation,
      requiredCertifications: d.requiredCertifications,
      maxPricePerUnit: d.maxPricePerUnit,
      priority: d.priority,
      confirmedUnits: 0,
      deliveredUnits: 0,
      status: 'open',
      version: 0,
    };
  });
  await OfferModel.insertMany(offers);
  const insertedDemands = await DemandModel.insertMany(demands);

  // demo accounts with something to do: a medical supplier, and a hospital-side buyer with a critical demand
  const medical = (category: string) => findCategory(category)?.sector === 'medical';
  const supplierKey = (scenario.offers.find((o) => o.products.some((p) => medical(p.category))) ?? scenario.offers[0]).orgKey;
  const buyerKey = (scenario.demands.find((d) => d.priority === 'critical' && medical(d.category)) ?? scenario.demands[0]).orgKey;
  const logins: DemoLogin[] = [
    { role: 'coordinator', email: 'coordinator@demo.fuchan.cn', password: DEMO_PASSWORD, organization: coordinatorOrg.name },
    { role: 'supplier', email: 'supplier@demo.fuchan.cn', password: DEMO_PASSWORD, organization: byKey.get(supplierKey)!.name },
    { role: 'buyer', email: 'buyer@demo.fuchan.cn', password: DEMO_PASSWORD, organization: byKey.get(buyerKey)!.name },
    { role: 'admin', email: 'admin@demo.fuchan.cn', password: DEMO_PASSWORD, organization: coordinatorOrg.name },
  ];
  const orgFor = { coordinator: coordinatorOrg._id, admin: coordinatorOrg._id, supplier: orgIds.get(supplierKey)!, buyer: orgIds.get(buyerKey)! };
  for (const l of logins) {
    await deps.auth.createUser({ email: l.email, password: l.password, name: `Demo ${l.role}`, role: l.role, organizationId: String(orgFor[l.role]) });
  }

  await deps.matching.loadView();
  const order = insertedDemands
    .map((d) => d.toObject())
    .sort((a, b) => priorityWeight[b.priority as 'normal'] - priorityWeight[a.priority as 'normal'] || a.deadline.getTime() - b.deadline.getTime());
  let proposals = 0;
  for (const d of order) proposals += (await deps.matching.matchDemand(String(d._id))).length;
  return { organizations: orgDocs.length + 1, offers: offers.length, demands: demands.length, proposals, logins };
}
