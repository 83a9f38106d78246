import { expect } from 'chai';
import request from 'supertest';
import { bearer, coordinator, createTestApp, register, type Account, type TestApp } from '../fixtures/app';
import { daysFromNow, demandInput, offerInput } from '../fixtures/postings';


describe('postings: offers and demands', () => {
  let t: TestApp;
  let supplier: Account;
  let buyer: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    buyer = await register(t.app, 'buyer');
  });

  it('when a supplier posts an offer, then 201 with id, capacity and remaining units', async () => {
    const res = await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput());
    expect(res.status).to.equal(201);
    expect(res.body.id).to.match(/^[0-9a-f]{24}$/);
    expect(res.body.totalUnits).to.equal(30_000);
    expect(res.body.remainingUnits).to.equal(30_000);
    expect(res.body.status).to.equal('open');
    expect(res.body.organizationId).to.equal(supplier.user.organization!.id);
  });

  it('when a buyer posts a demand, then 201 with id and remaining units, and a supplier cannot post one', async () => {
    const res = await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput());
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ quantity: 5000, remainingUnits: 5000, priority: 'high', status: 'open' });
    expect((await request(t.app).post('/api/demands').set(bearer(supplier)).send(demandInput())).status).to.equal(403);
    expect((await request(t.app).post('/api/offers').set(bearer(buyer)).send(offerInput())).status).to.equal(403);
  });

  it('when listing, then each organization sees its own postings and coordinators see all, with filters and pages', async () => {
    const other = await register(t.app, 'supplier', { region: 'Guangdong' });
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput());
    await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: [{ category: 'surgical-mask', unitsPerDay: 50000 }] }));
    await request(t.app).post('/api/offers').set(bearer(other)).send(offerInput());
    const mine = await request(t.app).get('/api/offers').set(bearer(supplier));
    expect(mine.body.total).to.equal(2);
    const coord = await coordinator(t.app, t.services);
    const all = await request(t.app).get('/api/offers').set(bearer(coord));
    expect(all.body.total).to.equal(3);
    const masks = await request(t.app).get('/api/offers?category=surgical-mask').set(bearer(coord));
    expect(masks.body.items.map((o: { products: { category: string }[] }) => o.products[0].category)).to.deep.equal(['surgical-mask']);
    const gd = await request(t.app).get('/api/offers?region=Guangdong').set(bearer(coord));
    expect(gd.body.total).to.equal(1);
    const page = await request(t.app).get('/api/offers?limit=2&offset=2').set(bearer(coord));
    expect(page.body).to.include({ total: 3, limit: 2, offset: 2 });
    expect(page.body.items).to.have.length(1);
    expect((await request(t.app).get('/api/demands').set(bearer(supplier))).body.total).to.equal(0);
  });

  it('when demands are listed by region, then the province of the delivery place counts, not the buyer\'s home; offers by the supplier\'s province', async () => {
    // a Hubei buyer: one demand delivered in Wuhan, one to Lhasa
    const wuhan = await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput());
    const lhasa = await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ deliveryLocation: { lat: 29.65, lng: 91.13 } }));
    expect(lhasa.body).to.include({ region: 'Hubei', deliveryRegion: 'Tibet' });
    const coord = await coordinator(t.app, t.services);
    const ids = async (path: string, who: Account) => {
      const res = await request(t.app).get(path).set(bearer(who));
      expect(res.status, path).to.equal(200);
      return res.body.items.map((x: { id: string }) => x.id);
    };
    expect(await ids('/api/demands?region=Tibet', coord)).to.deep.equal([lhasa.body.id]);
    expect(await ids('/api/demands?region=Hubei', coord)).to.deep.equal([wuhan.body.id]);
    expect(await ids('/api/demands?region=Tibet', buyer), 'the buyer filtering its own').to.deep.equal([lhasa.body.id]);
    // a Guangdong supplier whose offer is made in Wuhan is listed under Guangdong, as coverage files its supply
    const gd = await register(t.app, 'supplier', { region: 'Guangdong' });
    const offer = await request(t.app).post('/api/offers').set(bearer(gd)).send(offerInput({ location: { lat: 30.6, lng: 114.3 } }));
    expect(await ids('/api/offers?region=Guangdong', coord)).to.deep.equal([offer.body.id]);
    expect(await ids('/api/offers?region=Hubei', coord)).to.deep.equal([]);
    // a province spelt another way filters the same, as registration stores it
    for (const spelt of ['tibet', encodeURIComponent('西藏'), encodeURIComponent('西藏自治区')]) {
      expect(await ids(`/api/demands?region=${spelt}`, coord), spelt).to.deep.equal([lhasa.body.id]);
    }
    expect(await ids(`/api/offers?region=${encodeURIComponent('广东省')}`, coord)).to.deep.equal([offer.body.id]);
    const cov = await request(t.app).get(`/api/metrics/coverage?region=${encodeURIComponent('西藏')}`).set(bearer(coord));
    expect(cov.body.rows.map((r: { region: string }) => r.region)).to.deep.equal(['Tibet']);
  });

  it('when an owner changes an offer, then capacity follows; when it withdraws it, then the status says so', async () => {
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput())).body;
    const patched = await request(t.app).patch(`/api/offers/${o.id}`).set(bearer(supplier)).send({ products: [{ category: 'protective-gown', unitsPerDay: 2000 }] });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    expect(patched.body.totalUnits).to.equal(60_000);
    expect(patched.body.version).to.equal(1);
    const gone = await request(t.app).delete(`/api/offers/${o.id}`).set(bearer(supplier));
    expect(gone.status, JSON.stringify(gone.body)).to.equal(200);
    expect(gone.body.status).to.equal('withdrawn');
    expect((await request(t.app).patch(`/api/offers/${o.id}`).set(bearer(supplier)).send({ minOrderUnits: 5 })).status).to.equal(409);
  });

  it('when an offer holds a confirmed match, then a change that takes its product line away (another product, lines reordered or removed) is 409 and the match stays where it is; the other lines may change', async () => {
    const lines = [{ category: 'hand-sanitizer', unitsPerDay: 1000 }, { category: 'disinfectant', unitsPerDay: 1000 }];
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ products: lines, capabilities: ['chemical-blending', 'liquid-filling'], certifications: [] })).expect(201)).body;
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ category: 'hand-sanitizer', quantity: 3000 })).expect(201)).body;
    const [m] = (await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(buyer))).body.items;
    expect(m, 'a proposal').to.include({ offerId: o.id, line: 0, units: 3000 });
    await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(buyer)).expect(200);
    expect((await request(t.app).post(`/api/matches/${m.id}/accept`).set(bearer(supplier)).expect(200)).body.status).to.equal('confirmed');

    const before = (await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier))).body;
    const refused = [
      [{ category: 'protective-gown', unitsPerDay: 1000 }, lines[1]],
      [lines[1], lines[0]],
      [lines[1]],
    ];
    for (const products of refused) {
      const res = await request(t.app).patch(`/api/offers/${o.id}`).set(bearer(supplier)).send({ products });
      expect(res.status, JSON.stringify(products)).to.equal(409);
      expect(res.body.error.code).to.equal('conflict');
      expect(res.body.error.message).to.match(/line 1/);
    }
    const offer = (await request(t.app).get(`/api/offers/${o.id}`).set(bearer(supplier))).body;
    expect(offer.products).to.deep.equal(lines);
    expect(offer.version).to.equal(before.version);
    const schedule = (await request(t.app).get(`/api/offers/${o.id}/lines`).set(bearer(supplier))).body;
    expect(schedule.lines[0].category).to.equal('hand-sanitizer');

    // the line keeps its product: more capacity on it, another product on the free line, or dropping the free line are fine
    await request(t.app).patch(`/api/offers/${o.id}`).set(bearer(supplier)).send({ products: [{ category: 'hand-sanitizer', unitsPerDay: 2000 }, { category: 'face-shield', unitsPerDay: 500 }] }).expect(200);
    const last = await request(t.app).patch(`/api/offers/${o.id}`).set(bearer(supplier)).send({ products: [{ category: 'hand-sanitizer', unitsPerDay: 2000 }] });
    expect(last.status, JSON.stringify(last.body)).to.equal(200);
    const after = (await request(t.app).get(`/api/matches/${m.id}`).set(bearer(buyer))).body;
    expect(after).to.include({ status: 'confirmed', line: 0, category: 'hand-sanitizer', units: 3000 });
  });

  it('when another organization reads or changes a posting, then 403 for the wrong role and 404 for the wrong organization', async () => {
    const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput())).body;
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput())).body;
    const otherBuyer = await register(t.app, 'buyer');
    const otherSupplier = await register(t.app, 'supplier');
    expect((await request(t.app).get(`/api/demands/${d.id}`).set(bearer(supplier))).status).to.equal(403);
    expect((await request(t.app).patch(`/api/demands/${d.id}`).set(bearer(supplier)).send({ quantity: 1 })).status).to.equal(403);
    expect((await request(t.app).delete(`/api/demands/${d.id}`).set(bearer(supplier))).status).to.equal(403);
    expect((await request(t.app).get(`/api/offers/${o.id}`).set(bearer(buyer))).status).to.equal(403);
    expect((await request(t.app).get(`/api/demands/${d.id}`).set(bearer(otherBuyer))).status).to.equal(404);
    expect((await request(t.app).patch(`/api/demands/${d.id}`).set(bearer(otherBuyer)).send({ quantity: 1 })).status).to.equal(404);
    expect((await request(t.app).delete(`/api/demands/${d.id}`).set(bearer(otherBuyer))).status).to.equal(404);
    expect((await request(t.app).get(`/api/offers/${o.id}`).set(bearer(otherSupplier))).status).to.equal(404);
    expect((await request(t.app).get(`/api/offers/${o.id}/matches`).set(bearer(otherSupplier))).status).to.equal(404);
    expect((await request(t.app).get(`/api/demands/${d.id}/matches`).set(bearer(otherBuyer))).status).to.equal(404);
    const unchanged = await request(t.app).get(`/api/demands/${d.id}`).set(bearer(buyer));
    expect(unchanged.body.quantity).to.equal(5000);
    expect(unchanged.body.status).to.equal('open');
  });

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['a negative quantity', demandInput({ quantity: -5 }), 'quantity'],
      ['a fractional quantity', demandInput({ quantity: 2.5 }), 'quantity'],
      ['a deadline in the past', demandInput({ deadline: daysFromNow(-1) }), 'deadline'],
      ['a latitude out of range', demandInput({ deliveryLocation: { lat: 91, lng: 0 } }), 'deliveryLocation.lat'],
      ['a longitude out of range', demandInput({ deliveryLocation: { lat: 0, lng: -181 } }), 'deliveryLocation.lng'],
      ['an unknown category', demandInput({ category: 'unicorns' }), 'category'],
      ['an unknown field', { ...demandInput(), hack: true }, ''],
      ['a $-operator for a value', demandInput({ category: { $ne: null } }), 'category'],
      ['a $-operator as a key', { ...demandInput(), $where: 'sleep(1000)' }, ''],
      ['a wrong type', demandInput({ quantity: '5000' }), 'quantity'],
      ['an unknown priority', demandInput({ priority: 'urgent' }), 'priority'],
    ];
    for (const [what, body, path] of cases) {
      it(`when a demand has ${what}, then 400 with details`, async () => {
        const res = await request(t.app).post('/api/demands').set(bearer(buyer)).send(body);
        expect(res.status).to.equal(400);
        expect(res.body.error.code).to.equal('validation_failed');
        expect(res.body.error.details).to.be.an('array').that.is.not.empty;
        if (path) expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include(path);
      });
    }

    it('when an offer ends before it starts, then 400 on availableTo', async () => {
      const res = await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput({ availableFrom: daysFromNow(10), availableTo: daysFromNow(5) }));
      expect(res.status).to.equal(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).to.include('availableTo');
    });

    it('when every POST and PATCH route gets a malformed body, then 400 and never 500', async () => {
      const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput())).body;
      const d = (await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput())).body;
      const routes: [string, string, Account | null][] = [
        ['post', '/api/auth/register', null],
        ['post', '/api/auth/login', null],
        ['post', '/api/offers', supplier],
        ['patch', `/api/offers/${o.id}`, supplier],
        ['post', '/api/demands', buyer],
        ['patch', `/api/demands/${d.id}`, buyer],
        ['post', '/api/matches/000000000000000000000000/accept', buyer],
        ['post', '/api/matches/000000000000000000000000/decline', buyer],
        ['patch', '/api/matches/000000000000000000000000', buyer],
      ];
      for (const [method, url, who] of routes) {
        for (const raw of ['{"broken', '[1,2,3]', '"text"', '{"$gt":1}', '{"units": {"$inc": 5}}']) {
          let req = (request(t.app) as unknown as Record<string, (u: string) => request.Test>)[method](url).set('Content-Type', 'application/json');
          if (who) req = req.set(bearer(who));
          const res = await req.send(raw);
          expect(res.status, `${method} ${url} ${raw} -> ${res.status} ${JSON.stringify(res.body)}`).to.be.oneOf([400, 404]);
          expect(res.body.error.code).to.be.a('string');
        }
      }
    });

    it('when an id is not an id or unknown, then 400 or 404', async () => {
      expect((await request(t.app).get('/api/offers/not-an-id').set(bearer(supplier))).status).to.equal(400);
      expect((await request(t.app).get('/api/offers/0123456789abcdef01234567').set(bearer(supplier))).status).to.equal(404);
      expect((await request(t.app).get('/api/no/such/route').set(bearer(supplier))).status).to.equal(404);
    });

    it('when a list filter is an operator or unknown, then 400', async () => {
      expect((await request(t.app).get('/api/offers?region[$ne]=x').set(bearer(supplier))).status).to.equal(400);
      expect((await request(t.app).get('/api/offers?limit=100000').set(bearer(supplier))).status).to.equal(400);
      expect((await request(t.app).get('/api/offers?status=weird').set(bearer(supplier))).status).to.equal(400);
    });

    it('when a body is over the size limit, then 413', async () => {
      const res = await request(t.app)
        .post('/api/demands')
        .set(bearer(buyer))
        .send({ ...demandInput(), padding: 'x'.repeat(200_000) });
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
    });
  });
});
