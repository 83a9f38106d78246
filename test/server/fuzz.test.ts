import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import type { Running } from '../../server/index';
import { coordinator, register, startTestServer } from '../fixtures/app';
import { demandInput, offerInput } from '../fixtures/postings';

const st = path.resolve('.cache/venv/bin/st');

/** Runs schemathesis against the live OpenAPI document; resolves with its exit code and output. */
function schemathesis(url: string, token: string, seed: number): Promise<{ code: number | null; out: string }> {
  const args = [
    'run', `${url}/api/openapi.json`,
    '-H', `Authorization: Bearer ${token}`,
    '--checks', 'not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance',
    '--phases', 'examples,fuzzing',
    '-n', '12',
    '--seed', String(seed),
    '--workers', '2',
    '--request-timeout', '30',
    '--suppress-health-check', 'all',
    '--warnings', 'off',
    '--no-color',
  ];
  return new Promise((resolve) => {
    const p = spawn(st, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

describe('hostile input: schemathesis against /api/openapi.json', function () {
  this.timeout(8 * 60_000);
  let s: Running;

  before(function () {
    if (!fs.existsSync(st)) {
      if (process.env.CI) throw new Error(`schemathesis is missing at ${st}: .ci/run installs it`);
      this.skip();
    }
  });
  beforeEach(async () => {
    s = await startTestServer({ RATE_LIMIT_AUTH_PER_MINUTE: '1000000', RATE_LIMIT_WRITE_PER_MINUTE: '1000000' });
  });
  afterEach(async () => {
    await s.stop();
  });

  for (const role of ['buyer', 'supplier', 'coordinator'] as const) {
    it(`when generated requests hit every operation as a ${role}, then no 500, no crash, and every response matches the documented schema`, async () => {
      const supplier = await register(s.url, 'supplier', { certifications: ['iso-13485'] });
      const buyer = await register(s.url, 'buyer');
      await request(s.url).post('/api/offers').set('Authorization', `Bearer ${supplier.token}`).send(offerInput()).expect(201);
      await request(s.url).post('/api/demands').set('Authorization', `Bearer ${buyer.token}`).send(demandInput()).expect(201);
      const token = role === 'buyer' ? buyer.token : role === 'supplier' ? supplier.token : (await coordinator(s.url, s.services)).token;
      const { code, out } = await schemathesis(s.url, token, 7);
      const summary = out.split('\n').filter((l) => /passed|failed|errored|Error|FAILURES/.test(l)).slice(-8).join('\n');
      expect(code, `schemathesis failed:\n${out.slice(-6000)}`).to.equal(0);
      expect(out).to.match(/\d+ passed/);
      console.log(`      ${summary.replace(/\n/g, '\n      ')}`);
      expect((await request(s.url).get('/api/health')).status).to.equal(200);
    });
  }
});
