import { expect } from 'chai';
import fc from 'fast-check';
import { DAY_MS, evaluate, explain, reliabilityOf, routeFor } from '../../../server/matching/eligibility';
import { distanceKm, transitDays } from '../../../server/matching/geo';
import type { DemandView, OfferView } from '../../../server/matching/types';
import { findCategory } from '../../../models/catalog';

const NOW = Date.UTC(2026, 0, 10);
const WUHAN = { lat: 30.5928, lng: 114.3055 };
const GUANGZHOU = { lat: 23.1291, lng: 113.2644 };

function offer(o: Partial<OfferView> = {}): OfferView {
  return {
    id: 'o1', orgId: 'org-s', orgName: 'Wuhan Gowns', region: 'Hubei', location: WUHAN,
    products: [{ category: 'protective-gown', unitsPerDay: 1000 }], capabilities: ['sewing', 'heat-sealing'],
    certifications: ['iso-13485', 'gb-19082'], availableFrom: NOW, availableTo: NOW + 30 * DAY_MS, minOrderUnits: 100,
    pricePerUnit: 10, conversionLeadDays: 0, remainingUnits: 30_000, reliability: 0.5,
    reliabilityBasis: { confirmed: 0, delivered: 0, cancelled: 0 }, version: 0, ...o,
  };
}

function demand(d: Partial<DemandView> = {}): DemandView {
  return {
    id: 'd1', orgId: 'org-b', orgName: 'Union Hospital', region: 'Hubei', category: 'protective-gown', quantity: 5000,
    remainingUnits: 5000, deadline: NOW + 20 * DAY_MS, deliveryLocation: WUHAN, deliveryRegion: 'Hubei', requiredCertifications: [],
    maxPricePerUnit: 20, priority: 'high', version: 0, ...d,
  };
}

function codes(e: ReturnType<typeof evaluate>) {
  return e.eligible ? [] : e.reasons.map((r) => r.code);
}

describe('eligibility rules', () => {
  it('when the offer makes the category, then it is eligible directly with deliverable units = rate x days', () => {
    const e = evaluate(offer(), demand(), NOW);
    expect(e.eligible).to.equal(true);
    if (!e.eligible) return;
    expect(e.route.mode).to.equal('direct');
    expect(e.transitDays).to.equal(0);
    expect(e.productionDays).to.equal(20);
    expect(e.deliverableUnits).to.equal(20_000);
  });

  it('when a garment factory holds the conversion capabilities, then it is eligible by conversion and the conversion days delay the start', () => {
    const garment = offer({ products: [{ category: 'work-uniform', unitsPerDay: 2000 }] });
    const e = evaluate(garment, demand(), NOW);
    expect(e.eligible).to.equal(true);
    if (!e.eligible) return;
    const rule = findCategory('protective-gown')!.conversion!;
    expect(e.route.mode).to.equal('conversion');
    expect(e.route.conversionDays).to.equal(rule.days);
    expect(e.earliestStart).to.equal(NOW + rule.days * DAY_MS);
    expect(e.productionDays).to.equal(20 - rule.days);
    const { explanation } = explain(garment, demand(), e, 1000, NOW);
    expect(explanation.mode).to.equal('conversion');
    expect(explanation.summary[0]).to.match(new RegExp(`Converts to .* in ${rule.days} days`));
  });

  it('when the supplier states its own conversion lead time, then that is used instead of the catalog typical days', () => {
    const route = routeFor({ products: [{ category: 'work-uniform', unitsPerDay: 2000 }], capabilities: ['sewing', 'heat-sealing'], conversionLeadDays: 5 }, findCategory('protective-gown')!);
    expect(route).to.include({ mode: 'conversion', conversionDays: 5 });
  });

  it('when the factory lacks a capability the conversion needs, then it is a near miss naming it', () => {
    const e = evaluate(offer({ products: [{ category: 'work-uniform', unitsPerDay: 2000 }], capabilities: ['sewing'] }), demand(), NOW);
    expect(codes(e)).to.deep.equal(['category']);
    expect(e.eligible === false && e.near).to.equal(true);
    expect(e.eligible === false && e.reasons[0].message).to.match(/lacks heat-sealing/);
  });

  it('when a required certification is missing, then the reason names it', () => {
    const e = evaluate(offer({ certifications: ['gb-19082'] }), demand({ requiredCertifications: ['iso-13485'] }), NOW);
    expect(codes(e)).to.deep.equal(['certification']);
    expect(e.eligible === false && e.reasons[0].message).to.equal('missing iso-13485');
  });

  it('when the category itself requires a certification, then suppliers without it are near misses', () => {
    const n95 = findCategory('n95-medical-respirator')!;
    expect(n95.certifications.length).to.be.greaterThan(0);
    const e = evaluate(offer({ products: [{ category: n95.id, unitsPerDay: 10_000 }], certifications: [] }), demand({ category: n95.id }), NOW);
    expect(codes(e)).to.include('certification');
  });

  it('when the offer can start only after the deadline, then "can deliver only after the deadline"', () => {
    const e = evaluate(offer({ availableFrom: NOW + 25 * DAY_MS, availableTo: NOW + 60 * DAY_MS }), demand(), NOW);
    expect(codes(e)).to.deep.equal(['time']);
    expect(e.eligible === false && e.reasons[0].message).to.match(/only after the deadline/);
  });

  it('when the distance eats the time, then transit days count against the deadline', () => {
    const km = distanceKm(GUANGZHOU, WUHAN);
    expect(km).to.be.within(820, 850);
    expect(transitDays(km)).to.equal(2);
    const e = evaluate(offer({ location: GUANGZHOU }), demand({ deadline: NOW + 3 * DAY_MS }), NOW);
    expect(e.eligible).to.equal(true);
    if (e.eligible) expect(e.productionDays).to.equal(1);
    expect(codes(evaluate(offer({ location: GUANGZHOU }), demand({ deadline: NOW + 2 * DAY_MS }), NOW))).to.deep.equal(['time']);
  });

  it('when the price is above the buyer maximum, then a price near miss', () => {
    const e = evaluate(offer({ pricePerUnit: 25 }), demand({ maxPricePerUnit: 20 }), NOW);
    expect(codes(e)).to.deep.equal(['price']);
  });

  it('when the demand is below the supplier minimum order, then a min_order near miss', () => {
    const e = evaluate(offer({ minOrderUnits: 10_000 }), demand(), NOW);
    expect(codes(e)).to.deep.equal(['min_order']);
  });

  it('when several rules fail, then every reason is kept', () => {
    const e = evaluate(offer({ pricePerUnit: 99, minOrderUnits: 99_999, certifications: [] }), demand({ requiredCertifications: ['iso-13485'] }), NOW);
    expect(codes(e)).to.have.members(['certification', 'price', 'min_order']);
  });

  it('when a factory cannot make or convert to the category at all, then the miss is not near', () => {
    const e = evaluate(offer({ products: [{ category: 'brake-pad', unitsPerDay: 100 }], capabilities: ['friction-material-pressing'] }), demand(), NOW);
    expect(e.eligible === false && e.near).to.equal(false);
  });
});

describe('score and explanation', () => {
  it('when a match is scored, then the score is in [0,1] and equals the weighted sum of its parts', () => {
    const e = evaluate(offer(), demand(), NOW);
    if (!e.eligible) throw new Error('expected eligible');
    const { score, explanation } = explain(offer(), demand(), e, 2500, NOW);
    expect(score).to.be.within(0, 1);
    const sum = Object.entries(explanation.weights).reduce((s, [k, w]) => s + w * explanation.parts[k as keyof typeof explanation.parts], 0);
    expect(score).to.be.closeTo(sum, 1e-3);
    expect(explanation.parts.coverage).to.equal(0.5);
    expect(explanation.parts.capability).to.equal(1);
    expect(explanation.summary).to.have.length(6);
  });

  it('when a supplier is nearer, cheaper and more reliable, then it scores higher', () => {
    const near = offer();
    const far = offer({ location: GUANGZHOU, pricePerUnit: 18, reliability: 0.2 });
    const en = evaluate(near, demand(), NOW);
    const ef = evaluate(far, demand(), NOW);
    if (!en.eligible || !ef.eligible) throw new Error('expected eligible');
    expect(explain(near, demand(), en, 1000, NOW).score).to.be.greaterThan(explain(far, demand(), ef, 1000, NOW).score);
  });

  it('when the planner asks without reasons, then the answer is the same as with them, for random pairs', () => {
    const certs = ['iso-13485', 'gb-19082', 'gb-2626', 'ce-medical'];
    const arbStatus = fc.record({
      state: fc.constantFrom('claimed', 'submitted', 'rejected', 'verified'),
      validFrom: fc.option(fc.integer({ min: -20, max: 40 }).map((d) => NOW + d * DAY_MS)),
      validUntil: fc.option(fc.integer({ min: -20, max: 60 }).map((d) => NOW + d * DAY_MS)),
    });
    const arbOffer = fc.record({
      category: fc.constantFrom('protective-gown', 'work-uniform', 'surgical-mask', 'medical-goggles'),
      capabilities: fc.subarray(['sewing', 'heat-sealing', 'injection-molding', 'ultrasonic-welding']),
      ticked: fc.subarray(certs),
      status: fc.option(fc.record(Object.fromEntries(certs.map((c) => [c, arbStatus])), { requiredKeys: [] })),
      same: fc.boolean(),
      from: fc.integer({ min: -5, max: 30 }),
      days: fc.integer({ min: 1, max: 60 }),
      price: fc.option(fc.integer({ min: 1, max: 40 })),
      minOrder: fc.integer({ min: 1, max: 8000 }),
      west: fc.boolean(),
    });
    const arbDemand = fc.record({
      category: fc.constantFrom('protective-gown', 'surgical-mask', 'medical-goggles'),
      required: fc.subarray(certs),
      remaining: fc.integer({ min: 1, max: 9000 }),
      due: fc.integer({ min: 1, max: 50 }),
      max: fc.option(fc.integer({ min: 1, max: 40 })),
    });
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbOffer, arbDemand, (a, b) => {
        const o = offer({
          products: [{ category: a.same ? b.category : a.category, unitsPerDay: 1000 }], capabilities: a.capabilities, certifications: a.ticked,
          certificationStatus: (a.status ?? undefined) as OfferView['certificationStatus'], availableFrom: NOW + a.from * DAY_MS, availableTo: NOW + (a.from + a.days) * DAY_MS,
          pricePerUnit: a.price, minOrderUnits: a.minOrder, location: a.west ? { lat: 43.8256, lng: 87.6168 } : WUHAN,
        });
        const d = demand({ category: b.category, requiredCertifications: b.required, remainingUnits: b.remaining, quantity: b.remaining, deadline: NOW + b.due * DAY_MS, maxPricePerUnit: b.max });
        const full = evaluate(o, d, NOW);
        const quick = evaluate(o, d, NOW, false);
        expect(quick.eligible).to.equal(full.eligible);
        if (full.eligible) expect(quick).to.deep.equal(full);
        seen.add(full.eligible ? 'eligible' : full.reasons.map((r) => r.code).join('+'));
      }),
      { numRuns: 2000, seed: 2020 },
    );
    // the pairs cover eligibility and each way to miss it alone
    for (const code of ['eligible', 'category', 'price', 'min_order', 'certification', 'certification_unverified', 'certification_expired', 'time']) expect(seen).to.include(code);
  });

  it('when a supplier has delivered and cancelled before, then reliability is the smoothed delivered share', () => {
    expect(reliabilityOf({ confirmed: 0, delivered: 0, cancelled: 0 })).to.equal(0.5);
    expect(reliabilityOf({ confirmed: 10, delivered: 8, cancelled: 0 })).to.equal(0.9);
    expect(reliabilityOf({ confirmed: 4, delivered: 0, cancelled: 4 })).to.be.closeTo(1 / 6, 1e-9);
  });
});
