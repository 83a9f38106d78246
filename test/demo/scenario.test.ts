import { expect } from 'chai';
import { z } from 'zod';
import {
  CatalogSchema,
  capabilityIds,
  catalog,
  categoryIds,
  certificationIds,
  findCategory,
  sectors,
} from '../../models/catalog';
import { findProvince, provinceGridSize, provinces } from '../../models/provinces';
import { buildScenario, scenarioSummary, type Scenario } from '../../server/demo/scenario';

const DAY_MS = 86_400_000;
const NOW = new Date('2020-02-10T08:00:00.000Z');

const LatLng = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });
const Iso = z.iso.datetime();
const OrganizationSchema = z.strictObject({
  key: z.string().min(1),
  name: z.string().min(1),
  nameZh: z.string().regex(/^[\u4e00-\u9fff（）\d]+$/, 'Chinese characters only'),
  role: z.enum(['supplier', 'buyer']),
  region: z.string().refine((r) => findProvince(r)?.id === r, 'unknown province'),
  location: LatLng,
  certifications: z.array(z.enum(certificationIds)),
  verified: z.boolean(),
});
const OfferSchema = z.strictObject({
  orgKey: z.string(),
  products: z.array(z.strictObject({ category: z.enum(categoryIds), unitsPerDay: z.number().int().min(1) })).min(1),
  capabilities: z.array(z.enum(capabilityIds)),
  availableFrom: Iso,
  availableTo: Iso,
  location: LatLng,
  minOrderUnits: z.number().int().min(1),
  pricePerUnit: z.number().positive(),
  conversionLeadDays: z.number().int().min(0),
  certifications: z.array(z.enum(certificationIds)),
});
const DemandSchema = z.strictObject({
  orgKey: z.string(),
  category: z.enum(categoryIds),
  quantity: z.number().int().min(1),
  deadline: Iso,
  deliveryLocation: LatLng,
  requiredCertifications: z.array(z.enum(certificationIds)),
  maxPricePerUnit: z.number().positive(),
  priority: z.enum(['critical', 'high', 'normal']),
});
const ScenarioSchema = z.strictObject({
  organizations: z.array(OrganizationSchema),
  offers: z.array(OfferSchema),
  demands: z.array(DemandSchema),
});

describe('demo reference data and scenario', () => {
  describe('catalog', () => {
    it('when the catalog is parsed with CatalogSchema, then it is valid', () => {
      expect(() => CatalogSchema.parse(catalog)).not.to.throw();
    });

    it('when ids are listed, then categories, capabilities and certifications each have unique ids', () => {
      for (const ids of [categoryIds, capabilityIds, certificationIds]) {
        expect(new Set(ids).size).to.equal(ids.length);
      }
      expect(categoryIds).to.deep.equal(catalog.categories.map((c) => c.id));
    });

    it('when a category references capabilities or certifications, then they all exist in the catalog', () => {
      for (const c of catalog.categories) {
        expect(c.id, c.id).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        for (const cap of [...c.capabilities, ...(c.conversion?.requires ?? [])]) expect(capabilityIds, c.id).to.include(cap);
        for (const cert of c.certifications) expect(certificationIds, c.id).to.include(cert);
        if (c.conversion) expect(c.conversion.requires, c.id).not.to.be.empty;
        expect(findCategory(c.id)).to.equal(c);
      }
    });

    it('when the catalog is counted, then it has at least 15 categories covering all 5 sectors and at least 15 capabilities', () => {
      expect(catalog.categories.length).to.be.at.least(15);
      expect(new Set(catalog.categories.map((c) => c.sector))).to.have.lengthOf(5);
      expect([...sectors].sort()).to.deep.equal(['auto-parts', 'electronics', 'food-packaging', 'medical', 'textiles']);
      expect(catalog.capabilities.length).to.be.at.least(15);
    });

    it('when a garment factory holds sewing and heat-sealing, then it can convert to protective gowns in about 3 days', () => {
      const gown = findCategory('protective-gown');
      expect(gown?.conversion?.requires).to.have.members(['sewing', 'heat-sealing']);
      expect(gown?.conversion?.days).to.equal(3);
    });
  });

  describe('provinces', () => {
    it('when provinces are listed, then there are 31 with unique ids and distinct grid cells inside the grid', () => {
      expect(provinces).to.have.lengthOf(31);
      expect(new Set(provinces.map((p) => p.id)).size).to.equal(31);
      expect(new Set(provinces.map((p) => `${p.grid.row},${p.grid.col}`)).size).to.equal(31);
      for (const p of provinces) {
        expect(p.grid.row).to.be.within(0, provinceGridSize.rows - 1);
        expect(p.grid.col).to.be.within(0, provinceGridSize.cols - 1);
      }
    });

    it('when capitals are checked, then their coordinates lie inside China', () => {
      for (const p of provinces) {
        expect(p.capital.lat, p.id).to.be.within(18, 54);
        expect(p.capital.lng, p.id).to.be.within(73, 135);
        expect(p.name.zh, p.id).to.match(/[\u4e00-\u9fff]/);
      }
      expect(findProvince('Hubei')?.capital.en).to.equal('Wuhan');
      expect(findProvince('inner mongolia')?.id).to.equal('Inner Mongolia');
    });

    it('when the grid is read, then provinces sit roughly where they are (north above south, west left of east)', () => {
      const cell = (id: string) => findProvince(id)!.grid;
      expect(cell('Heilongjiang').row).to.be.lessThan(cell('Guangdong').row);
      expect(cell('Hebei').row).to.be.lessThan(cell('Hubei').row);
      expect(cell('Hainan').row).to.be.greaterThan(cell('Guangdong').row);
      expect(cell('Xinjiang').col).to.be.lessThan(cell('Shanghai').col);
      expect(cell('Sichuan').col).to.be.lessThan(cell('Zhejiang').col);
    });
  });

  describe('scenario', () => {
    let scenario: Scenario;
    before(() => {
      scenario = buildScenario({ seed: 42, now: NOW });
    });

    it('when built twice with the same seed, then the scenarios are deeply equal', () => {
      expect(buildScenario({ seed: 42, now: NOW })).to.deep.equal(scenario);
    });

    it('when built with a different seed, then the scenario differs', () => {
      expect(buildScenario({ seed: 43, now: NOW })).not.to.deep.equal(scenario);
    });

    it('when built with defaults, then it has at least 200 suppliers, 100 buyers, 300 offers and 300 demands', () => {
      const orgs = scenario.organizations;
      expect(orgs.filter((o) => o.role === 'supplier').length).to.be.at.least(200);
      expect(orgs.filter((o) => o.role === 'buyer').length).to.be.at.least(100);
      expect(scenario.offers.length).to.be.at.least(300);
      expect(scenario.demands.length).to.be.at.least(300);
    });

    it('when built with custom sizes, then the counts follow the options', () => {
      const small = buildScenario({ seed: 7, now: NOW, suppliers: 12, buyers: 5, offers: 15, demands: 9 });
      expect(small.organizations.filter((o) => o.role === 'supplier')).to.have.lengthOf(12);
      expect(small.organizations.filter((o) => o.role === 'buyer')).to.have.lengthOf(5);
      expect(small.offers).to.have.lengthOf(15);
      expect(small.demands).to.have.lengthOf(9);
      expect(() => ScenarioSchema.parse(small)).not.to.throw();
    });

    it('when validated, then every id, coordinate, quantity and date is valid', () => {
      expect(() => ScenarioSchema.parse(scenario)).not.to.throw();
      const now = NOW.getTime();
      for (const o of scenario.offers) {
        const from = Date.parse(o.availableFrom);
        const to = Date.parse(o.availableTo);
        expect(to).to.be.greaterThan(from);
        expect(from).to.be.within(now - 2 * DAY_MS, now + 10 * DAY_MS);
        expect((to - from) / DAY_MS).to.be.within(20, 90);
        expect(o.minOrderUnits).to.be.at.most(o.products[0].unitsPerDay);
      }
      for (const d of scenario.demands) {
        const deadline = Date.parse(d.deadline);
        expect(deadline).to.be.greaterThan(now);
        expect(deadline).to.be.within(now + 5 * DAY_MS, now + 45 * DAY_MS);
      }
    });

    it('when references are followed, then offers belong to suppliers and demands to buyers, with unique keys and names', () => {
      const byKey = new Map(scenario.organizations.map((o) => [o.key, o]));
      expect(byKey.size).to.equal(scenario.organizations.length);
      expect(new Set(scenario.organizations.map((o) => o.name)).size).to.equal(scenario.organizations.length);
      expect(new Set(scenario.organizations.map((o) => o.nameZh)).size, 'Chinese names are unique too').to.equal(scenario.organizations.length);
      for (const o of scenario.offers) expect(byKey.get(o.orgKey)?.role).to.equal('supplier');
      for (const d of scenario.demands) expect(byKey.get(d.orgKey)?.role).to.equal('buyer');
    });

    it('when priorities are counted, then the mix is roughly 20% critical, 30% high and 50% normal', () => {
      const n = scenario.demands.length;
      const share = (p: string) => scenario.demands.filter((d) => d.priority === p).length / n;
      expect(share('critical')).to.be.within(0.12, 0.28);
      expect(share('high')).to.be.within(0.22, 0.38);
      expect(share('normal')).to.be.within(0.42, 0.58);
    });

    it('when summarized, then some categories are short and some are in surplus', () => {
      const summary = scenarioSummary(scenario);
      expect(summary.map((r) => r.category)).to.deep.equal(categoryIds);
      const status = new Map(summary.map((r) => [r.category, r.status]));
      for (const id of ['n95-medical-respirator', 'protective-gown', 'antigen-test-kit']) expect(status.get(id), id).to.equal('short');
      for (const id of ['hand-sanitizer', 'cotton-fabric', 'pp-food-container']) expect(status.get(id), id).to.equal('surplus');
      for (const r of summary) {
        expect(Number.isInteger(r.demandUnits) && Number.isInteger(r.supplyUnits)).to.equal(true);
      }
    });

    it('when offers are scanned, then a garment factory without gowns can convert to protective gowns', () => {
      const requires = findCategory('protective-gown')!.conversion!.requires;
      const names = new Map(scenario.organizations.map((o) => [o.key, o.name]));
      const garment = scenario.offers.filter(
        (o) =>
          o.capabilities.includes('sewing') &&
          requires.every((r) => o.capabilities.includes(r)) &&
          o.products.every((p) => findCategory(p.category)?.sector !== 'medical') &&
          /Garment|Apparel|Clothing|Fashion/.test(names.get(o.orgKey) ?? ''),
      );
      expect(garment).not.to.be.empty;
      expect(garment.some((o) => o.conversionLeadDays === 3)).to.equal(true);
    });

    it('when other could-convert factories are scanned, then liquor plants, plastics moulders and non-woven makers are present', () => {
      const canConvert = (id: string) => {
        const c = findCategory(id)!;
        return scenario.offers.some(
          (o) => !o.products.some((p) => p.category === id) && c.conversion!.requires.every((r) => o.capabilities.includes(r)),
        );
      };
      for (const id of ['hand-sanitizer', 'face-shield', 'surgical-mask', 'infrared-thermometer']) expect(canConvert(id), id).to.equal(true);
    });
  });
});
