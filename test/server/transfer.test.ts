import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { bearer, coordinator, createTestApp, register, type Account, type TestApp } from '../fixtures/app';
import { offerInput, demandInput } from '../fixtures/postings';

const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Reads a binary response body whole (supertest leaves unknown types unparsed). */
function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

async function xlsxOf(rows: (string | number | Date | null)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('demands');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function readXlsx(buf: Buffer): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const out: unknown[][] = [];
  wb.worksheets[0].eachRow((r) => out.push((r.values as unknown[]).slice(1)));
  return out;
}

describe('import and export', () => {
  let t: TestApp;
  let supplier: Account;
  let buyer: Account;
  let coord: Account;
  beforeEach(async () => {
    t = await createTestApp();
    supplier = await register(t.app, 'supplier', { certifications: ['iso-13485'] });
    buyer = await register(t.app, 'buyer');
    coord = await coordinator(t.app, t.services);
  });
  const upload = (who: Account, kind: string, file: Buffer, name: string, query = '') =>
    request(t.app).post(`/api/import/${kind}${query}`).set(bearer(who)).attach('file', file, name);
  const count = async (who: Account, kind: 'offers' | 'demands') => (await request(t.app).get(`/api/${kind}`).set(bearer(who))).body.total as number;

  it('when a CSV of offers has one bad row, then nothing is stored and each error names its row and column in the viewer\'s language; fixed, every row is posted', async () => {
    const header = 'category,unitsPerDay,capabilities,certifications,availableFrom,availableTo,minOrderUnits,pricePerUnit';
    const good = (units: number) => `protective-gown,${units},sewing;heat-sealing,iso-13485;gb-19082,${day(0)},${day(30)},100,10`;
    const bad = `protective-gown,lots,sewing,gb-19082,${day(0)},${day(30)},100,10`;
    const file = (rows: string[]) => Buffer.from([header, ...rows].join('\n'));
    const seqBefore = t.services.ledger.lastSeq();

    const refused = await upload(supplier, 'offers', file([good(1000), bad, good(500)]), 'offers.csv', '?lang=zh');
    expect(refused.status).to.equal(400);
    expect(refused.body.error.code).to.equal('validation_failed');
    expect(refused.body.error.message).to.contain('未保存');
    expect(refused.body.error.details).to.have.length(1);
    expect(refused.body.error.details[0]).to.include({ row: 3, column: 'unitsPerDay', code: 'invalid_type' });
    expect(refused.body.error.details[0].message).to.match(/[\u4e00-\u9fff]/);
    // zod's zh-CN names JavaScript types in English; ours says them in Chinese
    expect(refused.body.error.details[0].message).to.not.match(/\b(number|string|undefined|object|boolean)\b/);
    expect(await count(supplier, 'offers')).to.equal(0);
    expect(t.services.ledger.lastSeq()).to.equal(seqBefore);
    // English by Accept-Language
    const en = await upload(supplier, 'offers', file([bad]), 'offers.csv').set('Accept-Language', 'en-GB,en;q=0.8');
    expect(en.body.error.details[0].message).to.match(/expected number/i);

    const ok = await upload(supplier, 'offers', file([good(1000), good(200), good(500)]), 'offers.csv');
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body).to.include({ kind: 'offers', created: 3 });
    expect(await count(supplier, 'offers')).to.equal(3);
    const first = (await request(t.app).get(`/api/offers/${ok.body.ids[0]}`).set(bearer(supplier))).body;
    expect(first).to.include({ organizationId: supplier.user.organization!.id, minOrderUnits: 100, pricePerUnit: 10 });
    // a date-only end is the whole day, China time
    expect(first.availableTo).to.equal(new Date(`${day(30)}T23:59:59+08:00`).toISOString());
    // a buyer may not import offers
    expect((await upload(buyer, 'offers', file([good(1)]), 'offers.csv')).status).to.equal(403);
  });

  it('when offer rows share an offer reference, then they are one offer with a product line per row; a line that gives another window is refused on its row', async () => {
    const header = 'offerRef,category,unitsPerDay,capabilities,certifications,availableFrom,availableTo,minOrderUnits,pricePerUnit';
    const file = (rows: string[]) => Buffer.from([header, ...rows].join('\n'));
    const rows = [
      `plant-1,protective-gown,3000,sewing;heat-sealing,iso-13485;gb-19082,${day(0)},${day(30)},100,10`,
      'plant-1,protective-coverall,1200,,,,,,',
      `,protective-gown,500,sewing,iso-13485,${day(0)},${day(10)},100,12`,
      // the same cells as the first row's may be repeated
      `plant-1,face-shield,800,,,${day(0)},,100,`,
    ];
    const conflict = await upload(supplier, 'offers', file([...rows, `plant-1,surgical-mask,900,,,${day(5)},,,`]), 'offers.csv');
    expect(conflict.status).to.equal(400);
    expect(conflict.body.error.details).to.deep.equal([
      { row: 6, column: 'availableFrom', code: 'offer_ref_conflict', message: conflict.body.error.details[0].message },
    ]);
    expect(conflict.body.error.details[0].message).to.contain('plant-1').and.contain('row 2');
    // a bad line is named on its own row
    const badLine = await upload(supplier, 'offers', file([...rows, 'plant-1,no-such-thing,900,,,,,,']), 'offers.csv');
    expect(badLine.status).to.equal(400);
    expect(badLine.body.error.details.map((d: { row: number; column: string }) => [d.row, d.column])).to.deep.equal([[6, 'category']]);
    expect(await count(supplier, 'offers')).to.equal(0);

    const ok = await upload(supplier, 'offers', file(rows), 'offers.csv');
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body).to.include({ kind: 'offers', created: 2 });
    const plant = (await request(t.app).get(`/api/offers/${ok.body.ids[0]}`).set(bearer(supplier))).body;
    expect(plant.products).to.deep.equal([
      { category: 'protective-gown', unitsPerDay: 3000 },
      { category: 'protective-coverall', unitsPerDay: 1200 },
      { category: 'face-shield', unitsPerDay: 800 },
    ]);
    expect(plant).to.include({ minOrderUnits: 100, pricePerUnit: 10 });
    expect(plant.availableTo).to.equal(new Date(`${day(30)}T23:59:59+08:00`).toISOString());
    // each line is its own capacity: the plant's lines are listed one by one
    const { lines } = (await request(t.app).get(`/api/offers/${ok.body.ids[0]}/lines`).set(bearer(supplier))).body;
    expect(lines.map((l: { category: string; unitsPerDay: number }) => [l.category, l.unitsPerDay])).to.deep.equal([['protective-gown', 3000], ['protective-coverall', 1200], ['face-shield', 800]]);
    const single = (await request(t.app).get(`/api/offers/${ok.body.ids[1]}`).set(bearer(supplier))).body;
    expect(single.products).to.deep.equal([{ category: 'protective-gown', unitsPerDay: 500 }]);
  });

  it('when a coordinator uploads an xlsx of demands for organizations, then a bad row refuses the file whole; fixed, the demands belong to the organizations named', async () => {
    const buyerOrg = buyer.user.organization!.id;
    const supplierOrg = supplier.user.organization!.id;
    const header = ['organizationId', 'category', 'quantity', 'deadline', 'deliveryLat', 'deliveryLng', 'requiredCertifications', 'maxPricePerUnit', 'priority'];
    const row = (org: string, qty: number | string) => [org, 'surgical-mask', qty, day(20), 30.6, 114.3, 'nmpa-registration', 1.5, 'high'];
    const refused = await upload(coord, 'demands', await xlsxOf([header, row(buyerOrg, 50_000), row(supplierOrg, 1000), row(buyerOrg, -5)]), 'demands.xlsx').set('Accept-Language', 'zh-CN,zh;q=0.9');
    expect(refused.status).to.equal(400);
    const details = refused.body.error.details as { row: number; column: string; code: string; message: string }[];
    expect(details.map((d) => [d.row, d.column, d.code])).to.deep.equal([[3, 'organizationId', 'organization_wrong_kind'], [4, 'quantity', 'too_small']]);
    expect(details[0].message).to.contain('不是需求方');
    expect(await count(buyer, 'demands')).to.equal(0);
    // a row without an organization is refused for a coordinator
    const anonymous = await upload(coord, 'demands', await xlsxOf([header, row('', 10)]), 'demands.xlsx', '?lang=en');
    expect(anonymous.body.error.details[0]).to.include({ row: 2, column: 'organizationId', code: 'organization_required' });

    const ok = await upload(coord, 'demands', await xlsxOf([header, row(buyerOrg, 50_000), row(buyerOrg, 1000)]), 'demands.xlsx');
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body.created).to.equal(2);
    const mine = (await request(t.app).get('/api/demands').set(bearer(buyer))).body;
    expect(mine.total).to.equal(2);
    expect(mine.items.map((d: { quantity: number }) => d.quantity)).to.have.members([50_000, 1000]);
  });

  it('when a template is downloaded, then it opens, explains its columns in the viewer\'s language and imports once filled in', async () => {
    const tpl = await request(t.app).get('/api/templates/offers?format=xlsx&lang=zh').set(bearer(supplier)).buffer(true).parse(binary);
    expect(tpl.status).to.equal(200);
    expect(tpl.headers['content-type']).to.contain(XLSX);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(tpl.body as unknown as ArrayBuffer);
    const header = (wb.worksheets[0].getRow(1).values as string[]).slice(1);
    expect(header).to.include('产品品类 (category)');
    expect(wb.worksheets[1].name).to.equal('说明');
    // filled in under the Chinese headers
    const idx = (id: string) => header.findIndex((h) => h.endsWith(`(${id})`)) + 1;
    const r = wb.worksheets[0].getRow(2);
    r.getCell(idx('category')).value = 'protective-gown';
    r.getCell(idx('unitsPerDay')).value = 800;
    r.getCell(idx('capabilities')).value = 'sewing;heat-sealing';
    r.getCell(idx('availableFrom')).value = new Date(`${day(1)}T00:00:00Z`);
    r.getCell(idx('availableTo')).value = new Date(`${day(20)}T00:00:00Z`);
    r.commit();
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const ok = await upload(supplier, 'offers', filled, 'filled.xlsx');
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    const csv = await request(t.app).get('/api/templates/demands?format=csv').set(bearer(buyer));
    expect(csv.headers['content-type']).to.contain('text/csv');
    expect(parse(csv.text, { bom: true })[0]).to.include.members(['category', 'quantity', 'deadline', 'deliveryLat', 'deliveryLng']);
  });

  it('when matches and coverage are exported, then the files open and hold only what the viewer may see', async () => {
    const o = (await request(t.app).post('/api/offers').set(bearer(supplier)).send(offerInput())).body;
    await request(t.app).post('/api/demands').set(bearer(buyer)).send(demandInput({ maxPricePerUnit: 20 })).expect(201);
    // another pair, not related to the first supplier
    const s2 = await register(t.app, 'supplier', { name: 'Other supplier', certifications: ['iso-13485'] });
    const b2 = await register(t.app, 'buyer', { name: 'Other buyer' });
    await request(t.app).post('/api/offers').set(bearer(s2)).send(offerInput({ products: [{ category: 'hand-sanitizer', unitsPerDay: 1000 }], capabilities: ['chemical-blending', 'liquid-filling'] })).expect(201);
    await request(t.app).post('/api/demands').set(bearer(b2)).send(demandInput({ category: 'hand-sanitizer', quantity: 3000, maxPricePerUnit: 30 })).expect(201);

    const x = await request(t.app).get('/api/export/matches?format=xlsx&lang=zh').set(bearer(supplier)).buffer(true).parse(binary);
    expect(x.status).to.equal(200);
    const rows = await readXlsx(x.body);
    const h = rows[0] as string[];
    expect(rows).to.have.length(2);
    const m = rows[1];
    expect(m[h.indexOf('supplierOrgName')]).to.equal(o.organizationName);
    expect(m[h.indexOf('categoryName')]).to.equal('一次性隔离衣');
    expect(m[h.indexOf('units')]).to.equal(5000);
    // the supplier never sees the buyer's ceiling
    expect(m[h.indexOf('maxPricePerUnit')] ?? null).to.equal(null);
    expect(JSON.stringify(rows)).not.to.contain('Other buyer');

    const b = parse((await request(t.app).get('/api/export/matches?format=csv').set(bearer(buyer))).text, { bom: true, columns: true }) as Record<string, string>[];
    expect(b).to.have.length(1);
    expect(b[0].maxPricePerUnit).to.equal('20');
    const all = parse((await request(t.app).get('/api/export/matches').set(bearer(coord))).text, { bom: true, columns: true }) as Record<string, string>[];
    expect(all).to.have.length(2);

    const cov = await request(t.app).get('/api/export/coverage?format=csv&lang=en').set(bearer(coord));
    expect(cov.status).to.equal(200);
    const covRows = parse(cov.text, { bom: true, columns: true }) as Record<string, string>[];
    const gown = covRows.find((r) => r.category === 'protective-gown')!;
    expect(gown).to.include({ unit: 'piece', region: 'Hubei', demandedUnits: '5000', proposedUnits: '5000' });
    const covX = await request(t.app).get('/api/export/coverage?format=xlsx').set(bearer(coord)).buffer(true).parse(binary);
    expect((await readXlsx(covX.body)).length).to.equal(covRows.length + 1);
    expect((await request(t.app).get('/api/export/coverage').set(bearer(buyer))).status).to.equal(403);
    expect((await request(t.app).get('/api/export/matches')).status).to.equal(401);
  });

  it('when another organization names itself like a spreadsheet formula, then the CSV export carries the name as text (a leading apostrophe), the xlsx as a plain string', async () => {
    const s2 = await register(t.app, 'supplier', { name: "=cmd|' /C calc'!A0", certifications: ['iso-13485'] });
    const b2 = await register(t.app, 'buyer', { name: '@SUM(1+1)*cmd' });
    await request(t.app).post('/api/offers').set(bearer(s2)).send(offerInput({ products: [{ category: 'hand-sanitizer', unitsPerDay: 1000 }], capabilities: ['chemical-blending', 'liquid-filling'] })).expect(201);
    await request(t.app).post('/api/demands').set(bearer(b2)).send(demandInput({ category: 'hand-sanitizer', quantity: 3000, maxPricePerUnit: 30 })).expect(201);
    for (const who of [s2, b2, coord]) {
      const csv = (await request(t.app).get('/api/export/matches?format=csv').set(bearer(who))).text;
      const rows = parse(csv, { bom: true, columns: true }) as Record<string, string>[];
      expect(rows).to.have.length(1);
      expect(rows[0].supplierOrgName).to.equal("'=cmd|' /C calc'!A0");
      expect(rows[0].buyerOrgName).to.equal("'@SUM(1+1)*cmd");
      // numbers stay numbers
      expect(rows[0].units).to.equal('3000');
      expect(csv).not.to.match(/(^|,)[=+@-]/m);
    }
    const x = await request(t.app).get('/api/export/matches?format=xlsx').set(bearer(coord)).buffer(true).parse(binary);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as unknown as ArrayBuffer);
    const cell = wb.worksheets[0].getRow(2).getCell((wb.worksheets[0].getRow(1).values as string[]).indexOf('supplierOrgName'));
    expect(cell.type).to.equal(ExcelJS.ValueType.String);
    expect(cell.value).to.equal("=cmd|' /C calc'!A0");
  });

  it('when a file is empty, not a table, broken or too long, then it is a clear 4xx and nothing is stored', async () => {
    const seq = t.services.ledger.lastSeq();
    expect((await upload(supplier, 'offers', Buffer.alloc(0), 'x.csv')).status).to.equal(400);
    expect((await upload(supplier, 'offers', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x90]), 'x.csv')).status).to.equal(400);
    expect((await upload(supplier, 'offers', Buffer.from('PK\u0003\u0004 not really a zip'), 'x.xlsx')).status).to.equal(400);
    expect((await upload(supplier, 'offers', Buffer.from('category,unitsPerDay\n"unclosed,1'), 'x.csv')).status).to.equal(400);
    const unknown = await upload(supplier, 'offers', Buffer.from('category,colour\nprotective-gown,red'), 'x.csv');
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error.details.map((d: { code: string }) => d.code)).to.include.members(['unknown_column', 'missing_column']);
    const long = ['category,unitsPerDay,availableFrom,availableTo', ...Array.from({ length: 501 }, () => `protective-gown,1,${day(0)},${day(3)}`)].join('\n');
    expect((await upload(supplier, 'offers', Buffer.from(long), 'x.csv')).status).to.equal(413);
    expect((await upload(supplier, 'offers', Buffer.alloc(3 * 1024 * 1024, 0x41), 'x.csv')).status).to.equal(413);
    expect((await request(t.app).post('/api/import/offers').set(bearer(supplier)).send({ file: 'x' })).status).to.equal(400);
    expect((await request(t.app).post('/api/import/widgets').set(bearer(supplier)).attach('file', Buffer.from('a'), 'x.csv')).status).to.equal(400);
    expect(t.services.ledger.lastSeq()).to.equal(seq);
  });
});
