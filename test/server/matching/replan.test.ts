import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import type { Match } from '../../../models/match.schema';
import { bareLedger } from '../../../server/ledger/bare';
import { emitDemand, emitOffer, matchDemand, matchOffer, optimumFromScratch, replanLimits, standingWeight } from '../../../server/matching/matching.service';
import { candidatesAmong, candidatesFor, demandsListing, eligibleFor, overbookedLines, planGlobal, PLAN_HORIZON_DAYS } from '../../../server/matching/planner';
import { newDemand, newOffer } from '../../../server/postings/postings.service';
import { recordStep } from '../../../server/trust/trust.service';
import { bearer, register, startTestServer, type Account } from '../../fixtures/app';
import { daysFromNow, demandInput, offerInput } from '../../fixtures/postings';
import { connect, waitFor, type ClientSocket } from '../../fixtures/sockets';

const DAY = 86_400_000;

type OfferEvent = { kind: 'offer'; rate: number; days: number; price: number; at: { lat: number; lng: number } };
type DemandEvent = { kind: 'demand'; units: number; due: number; priority: 'normal' | 'high' | 'critical'; max: number; at: { lat: number; lng: number } };

/** A gown market on the ledger's state machine: one verified supplier, one buyer, postings applied as the service commits them. */
function gownMarket(now: number) {
  const m = bareLedger(now);
  m.state.orgs.set('s', { id: 's', name: 'Supplier', kind: 'supplier', region: 'HB', location: { lat: 30.6, lng: 114.3 }, certifications: ['iso-13485', 'gb-19082'], stats: { confirmed: 0, delivered: 0, cancelled: 0, lapsed: 0 }, statsSeq: 0 } as never);
  for (const c of ['iso-13485', 'gb-19082']) {
    recordStep(m.tx(), m.state.orgs.get('s')!, c, { decision: 'verified', certificateNumber: `T-${c}`, issuer: 'test', validFrom: new Date(now - DAY).toISOString(), validUntil: new Date(now + 365 * DAY).toISOString() });
  }
  m.state.orgs.set('b', { id: 'b', name: 'Buyer', kind: 'buyer', region: 'HB', location: { lat: 30.6, lng: 114.3 }, certifications: [], stats: { confirmed: 0, delivered: 0, cancelled: 0, lapsed: 0 }, statsSeq: 0 } as never);
  const post = (ev: OfferEvent | DemandEvent): string => {
    const tx = m.tx();
    if (ev.kind === 'offer') {
      const o = newOffer(tx, m.state.orgs.get('s')!, {
        products: [{ category: 'protective-gown', unitsPerDay: ev.rate }], capabilities: ['sewing'], certifications: ['iso-13485', 'gb-19082'],
        availableFrom: new Date(now).toISOString(), availableTo: new Date(now + ev.days * DAY).toISOString(), location: ev.at, minOrderUnits: 1, pricePerUnit: ev.price, conversionLeadDays: 0,
      } as never);
      emitOffer(tx, o);
      matchOffer(tx, o.id);
      return o.id;
    }
    const d = newDemand(tx, m.state.orgs.get('b')!, {
      category: 'protective-gown', quantity: ev.units, deadline: new Date(now + ev.due * DAY).toISOString(), deliveryLocation: ev.at, requiredCertifications: [], maxPricePerUnit: ev.max, priority: ev.priority,
    } as never);
    emitDemand(tx, d);
    matchDemand(tx, d.id);
    return d.id;
  };
  const proposed = (demandId: string) => [...m.state.matches.values()].filter((x) => x.demandId === demandId && x.status === 'proposed').reduce((n, x) => n + x.units, 0);
  return { m, post, proposed };
}

/** Runs `body` with the re-planning limits of a market too large to re-solve whole: only the neighbourhood of each change. */
function asInALargeMarket<T>(body: () => T): T {
  const limits = { ...replanLimits };
  replanLimits.componentMax = 0;
  try {
    return body();
  } finally {
    Object.assign(replanLimits, limits);
  }
}

describe('live re-planning: the standing proposals follow the optimum', function () {
  this.timeout(120_000);
  const now = Date.UTC(2026, 11, 1);
  const place = fc.record({ lat: fc.double({ min: 22, max: 40, noNaN: true }), lng: fc.double({ min: 100, max: 121, noNaN: true }) });
  const offer = fc.record({ kind: fc.constant('offer' as const), rate: fc.integer({ min: 50, max: 2000 }), days: fc.integer({ min: 5, max: 40 }), price: fc.integer({ min: 5, max: 30 }), at: place });
  const demand = fc.record({
    kind: fc.constant('demand' as const),
    units: fc.integer({ min: 500, max: 30_000 }),
    due: fc.integer({ min: 6, max: 45 }),
    priority: fc.constantFrom('normal' as const, 'high' as const, 'critical' as const),
    max: fc.integer({ min: 10, max: 40 }),
    at: place,
  });

  it('when postings of random sizes, prices, places and urgencies arrive in random order, then after every one the standing proposals carry at least 99 % of the from-scratch optimum', () => {
    let runsWithProposals = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(offer, demand), { minLength: 4, maxLength: 24 }), (events) => {
        const { m, post } = gownMarket(now);
        let anyProposal = false;
        events.forEach((ev, i) => {
          post(ev);
          const optimum = optimumFromScratch(m.tx());
          anyProposal ||= standingWeight(m.state) > 0;
          expect(standingWeight(m.state), `after ${i + 1} of ${events.length} events`).to.be.at.least(0.99 * optimum);
        });
        if (anyProposal) runsWithProposals++;
      }),
      { numRuns: 40 },
    );
    expect(runsWithProposals, 'runs in which anything was proposed').to.be.greaterThan(10);
  });

  it('when a line is open until the year 9999 and a demand is due then too, then the network counts a line\'s days only as far as a demand can be due (three years at most), and the proposals still fit', () => {
    const { m, post, proposed } = gownMarket(now);
    const untilFarAway = Math.floor((Date.UTC(9999, 11, 31) - now) / DAY);
    const wuhan = { lat: 30.6, lng: 114.3 };
    post({ kind: 'offer', rate: 1000, days: untilFarAway, price: 10, at: wuhan });
    const soon = post({ kind: 'demand', units: 50_000, due: 20, priority: 'normal', max: 40, at: wuhan });
    const longest = () => Math.max(...planGlobal(m.state, now).instance.supplies.map((x) => x.days?.length ?? 0));
    // the demand due in 20 days: about 20 days of the line, not 2.9 million
    expect(longest()).to.be.within(15, 21);
    expect(proposed(soon)).to.be.within(15_000, 20_000);
    const late = post({ kind: 'demand', units: 2_000_000, due: untilFarAway, priority: 'normal', max: 40, at: wuhan });
    expect(longest()).to.equal(PLAN_HORIZON_DAYS + 1);
    // what is left after the first demand, made within the horizon
    expect(proposed(late)).to.be.within(1_000_000, 2_000_000);
    expect(proposed(soon)).to.be.within(15_000, 20_000);
    for (const id of m.state.offers.keys()) expect(overbookedLines(m.state, m.state.offerView(id, now)!, now)).to.deep.equal([]);
  });

  describe('in a market too large to re-solve whole (the neighbourhood of each change)', () => {
    it('when postings arrive in random order, then no line is ever promised more than it makes by a due date, and proposals are made', () => {
      let proposedRuns = 0;
      fc.assert(
        fc.property(fc.array(fc.oneof(offer, demand), { minLength: 4, maxLength: 24 }), (events) =>
          asInALargeMarket(() => {
            const { m, post } = gownMarket(now);
            for (const ev of events) {
              post(ev);
              for (const o of m.state.openOffers(now)) expect(overbookedLines(m.state, o, now), `offer ${o.id}`).to.deep.equal([]);
            }
            if (standingWeight(m.state) > 0) proposedRuns++;
          }),
        ),
        { numRuns: 40 },
      );
      expect(proposedRuns).to.be.greaterThan(10);
    });

    it('when a critical demand arrives after a normal one took the only line, then it takes the unaccepted units', () =>
      asInALargeMarket(() => {
        const { post, proposed } = gownMarket(now);
        const at = { lat: 30.6, lng: 114.3 };
        post({ kind: 'offer', rate: 100, days: 10, price: 10, at });
        const normal = post({ kind: 'demand', units: 1000, due: 12, priority: 'normal', max: 20, at });
        expect(proposed(normal)).to.equal(1000);
        const critical = post({ kind: 'demand', units: 1000, due: 12, priority: 'critical', max: 20, at });
        expect(proposed(critical)).to.equal(1000);
        expect(proposed(normal)).to.equal(0);
      }));

    it('when a new line only a covered demand can use is posted, then that demand moves to it and the line it leaves serves the demand that was short', () =>
      asInALargeMarket(() => {
        const { post, proposed } = gownMarket(now);
        const at = { lat: 22, lng: 100 };
        const cheapOnly = post({ kind: 'demand', units: 500, due: 6, priority: 'normal', max: 10, at });
        const any = post({ kind: 'demand', units: 500, due: 6, priority: 'normal', max: 11, at });
        post({ kind: 'offer', rate: 100, days: 5, price: 5, at });
        expect(proposed(cheapOnly) + proposed(any)).to.equal(500);
        // only `any` pays 11 a unit: it moves there, and the cheap line's 500 go to both as they can
        post({ kind: 'offer', rate: 100, days: 5, price: 11, at });
        expect(proposed(cheapOnly) + proposed(any)).to.equal(1000);
      }));
  });

  it('when a part of the market was counted over the limit, then the next changes in it re-solve their neighbourhood without counting it again, until the changes since could have brought it under the limit', () => {
    const limits = { ...replanLimits };
    replanLimits.componentMax = 6;
    try {
      const { m, post, proposed } = gownMarket(now);
      let counted = 0;
      const component = m.state.component.bind(m.state);
      m.state.component = (...args: Parameters<typeof component>) => (counted++, component(...args));
      const at = { lat: 30.6, lng: 114.3 };
      for (let i = 0; i < 4; i++) post({ kind: 'offer', rate: 100, days: 10, price: 10 + i, at });
      for (let i = 0; i < 3; i++) post({ kind: 'demand', units: 300, due: 12, priority: 'normal', max: 20, at });
      // 7 open postings: counted once over the limit (and each time before, under it)
      expect(counted).to.equal(7);
      const revision = m.state.revision;
      const critical = post({ kind: 'demand', units: 500, due: 12, priority: 'critical', max: 20, at });
      // 7 + 1 postings, 1 over the limit: the first state change since could have brought it under, so it is counted again
      expect(counted).to.equal(8);
      expect(proposed(critical)).to.equal(500);
      expect(m.state.revision).to.be.greaterThan(revision);
      replanLimits.componentMax = 2;
      const before = counted;
      const high = post({ kind: 'demand', units: 100, due: 12, priority: 'high', max: 20, at });
      // 8 postings counted, 2 allowed: the next change is known to be over it, and its neighbourhood still re-plans
      // it (the critical demand keeps its units, the high one is covered)
      expect(counted).to.equal(before);
      expect(proposed(critical)).to.equal(500);
      expect(proposed(high)).to.equal(100);
      // once the state changes since could have brought the part under the limit, it is counted again
      let posts = 0;
      while (counted === before && posts < 20) (post({ kind: 'demand', units: 10, due: 12, priority: 'normal', max: 20, at }), posts++);
      expect(counted).to.equal(before + 1);
      expect(m.state.revision - revision).to.be.greaterThan(8 - 2);
    } finally {
      Object.assign(replanLimits, limits);
    }
  });

  it('when better offers push an offer out of a demand\'s best 24, then the demand is no longer listed under it, and is under the better ones', () => {
    const { m, post } = gownMarket(now);
    const at = { lat: 30.6, lng: 114.3 };
    const demand = post({ kind: 'demand', units: 100, due: 20, priority: 'normal', max: 100, at });
    // each offer cheaper than the one before: the first five end below the best 24
    const offers = Array.from({ length: 29 }, (_, i) => post({ kind: 'offer', rate: 10, days: 15, price: 90 - i, at }));
    const list = eligibleFor(m.state, m.state.demandView(demand, now)!, now);
    expect(list.map((c) => c.o.id).slice(0, 24)).to.deep.equal([...offers].reverse().slice(0, 24));
    const listing = (offerId: string) => [...demandsListing(m.state, offerId)];
    for (const id of offers.slice(0, 5)) expect(listing(id), id).to.not.include(demand);
    for (const id of offers.slice(5)) expect(listing(id), id).to.include(demand);
  });

  it('when a neighbourhood\'s network looks a demand\'s candidates up among its offers, then it gets the demand\'s best ones among them, in the same order, for random markets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ rate: fc.integer({ min: 5, max: 50 }), price: fc.integer({ min: 5, max: 60 }), lat: fc.integer({ min: 22, max: 40 }) }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.integer({ min: 1, max: 12 }),
        (lines, chosen, limit) => {
          const { m, post } = gownMarket(now);
          const demand = post({ kind: 'demand', units: 100, due: 20, priority: 'normal', max: 100, at: { lat: 30.6, lng: 114.3 } });
          const offers = lines.map((l) => post({ kind: 'offer', rate: l.rate, days: 15, price: l.price, at: { lat: l.lat, lng: 114.3 } }));
          const d = m.state.demandView(demand, now)!;
          const some = offers.filter((_, i) => chosen[i]).map((id) => m.state.offerView(id, now)!).filter(Boolean);
          const ids = new Set(some.map((o) => o.id));
          const among = candidatesAmong(m.state, d, now, limit, some, ids).map((c) => c.o.id);
          expect(among).to.deep.equal(candidatesFor(m.state, d, now, limit).map((c) => c.o.id).filter((id) => ids.has(id)));
        },
      ),
      { numRuns: 60, seed: 2020 },
    );
  });

  describe('through the service', () => {
    let running: Awaited<ReturnType<typeof startTestServer>>;
    let url: string;
    let buyer: Account;
    let socket: ClientSocket;
    beforeEach(async () => {
      running = await startTestServer();
      url = running.url;
      buyer = await register(url, 'buyer');
      socket = await connect(url, buyer.token);
    });
    afterEach(async () => {
      socket.close();
      await running.stop();
    });
    const matchesOf = async (demandId: string) => (await request(url).get(`/api/demands/${demandId}/matches`).set(bearer(buyer)).expect(200)).body.items as Match[];

    it('when a cheaper supplier posts a line that can make the whole demand, then the unaccepted proposal moves to it live, the buyer is told why, and an unrelated posting moves nothing', async () => {
      const dear = await register(url, 'supplier', { certifications: ['iso-13485', 'gb-19082'] });
      await request(url).post('/api/offers').set(bearer(dear)).send(offerInput({ pricePerUnit: 18 })).expect(201);
      const d = (await request(url).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 5000 })).expect(201)).body;
      const [first] = await matchesOf(d.id);
      expect(first).to.include({ status: 'proposed', units: 5000 });

      const cheap = await register(url, 'supplier', { certifications: ['iso-13485', 'gb-19082'] });
      const moved = waitFor<{ match: Match }>(socket, 'match:updated', (p) => p.match.id === first.id && p.match.status === 'withdrawn');
      const arrived = waitFor<{ match: Match }>(socket, 'match:proposed', (p) => p.match.demandId === d.id);
      await request(url).post('/api/offers').set(bearer(cheap)).send(offerInput({ pricePerUnit: 9 })).expect(201);
      const [gone, now] = await Promise.all([moved, arrived]);
      expect(gone.match.history?.at(-1)?.note ?? (gone as unknown as { transition: { note: string } }).transition?.note).to.match(/re-planned/);
      expect(now.match).to.include({ supplierOrgId: cheap.user.organization!.id, units: 5000 });

      // a face-shield demand elsewhere is its own part of the market: the gown proposals stay as they are
      const before = (await matchesOf(d.id)).filter((m) => m.status === 'proposed').map((m) => m.id);
      await request(url).post('/api/demands').set(bearer(buyer)).send({ category: 'face-shield', quantity: 1000, deadline: daysFromNow(20), deliveryLocation: { lat: 30.6, lng: 114.3 }, priority: 'critical' }).expect(201);
      expect((await matchesOf(d.id)).filter((m) => m.status === 'proposed').map((m) => m.id)).to.deep.equal(before);
    });

    it('when the buyer has accepted a proposal, then a cheaper line posted later leaves it where it is', async () => {
      const dear = await register(url, 'supplier', { certifications: ['iso-13485', 'gb-19082'] });
      await request(url).post('/api/offers').set(bearer(dear)).send(offerInput({ pricePerUnit: 18 })).expect(201);
      const d = (await request(url).post('/api/demands').set(bearer(buyer)).send(demandInput({ quantity: 5000 })).expect(201)).body;
      const [first] = await matchesOf(d.id);
      await request(url).post(`/api/matches/${first.id}/accept`).set(bearer(buyer)).expect(200);
      const cheap = await register(url, 'supplier', { certifications: ['iso-13485', 'gb-19082'] });
      await request(url).post('/api/offers').set(bearer(cheap)).send(offerInput({ pricePerUnit: 9 })).expect(201);
      const after = await matchesOf(d.id);
      expect(after.map((m) => [m.id, m.status])).to.deep.equal([[first.id, 'accepted_by_buyer']]);
    });
  });
});
