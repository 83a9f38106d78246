import { expect } from 'chai';
import request from 'supertest';
import { createTestApp } from '../fixtures/app';

describe('the browsable API reference', () => {
  it('when /api/docs is opened, then it is a self-contained HTML page listing every operation of the OpenAPI document', async () => {
    const t = await createTestApp();
    const doc = (await request(t.app).get('/api/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { summary: string }>> };
    const res = await request(t.app).get('/api/docs').expect(200);
    expect(res.headers['content-type']).to.contain('text/html');
    const html = res.text;
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(html, path).to.contain(`<code>${path}</code>`);
      for (const [method, op] of Object.entries(ops)) {
        expect(html).to.contain(`id="${`${method} ${path}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}"`);
        expect(html).to.contain(op.summary.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
      }
    }
    expect(html).to.contain('/api/import/{kind}');
    expect(html).not.to.match(/<script|<link|src="http|href="http/i);
    // nothing needs the database: it is served while the database is down
    t.dbUp.value = false;
    expect((await request(t.app).get('/api/docs')).status).to.equal(200);
  });
});
