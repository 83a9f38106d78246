import type { Scenario } from './scenario';

/**
 * The demo's certification records (the trust section of the demo): for each supplier's ticked certification a
 * record that is mostly verified, some submitted and waiting in a coordinator's queue, some rejected with a
 * reason, some expired, a few only claimed. Deterministic from the seed, with a random stream of its own so the
 * rest of the scenario does not change with it. No database, no Node APIs.
 */

export interface ScenarioCertification {
  orgKey: string;
  certification: string;
  decision: 'verified' | 'submitted' | 'rejected' | 'claimed';
  certificateNumber: string;
  issuer: string;
  validFrom: string;
  validUntil: string;
  rejectionReason?: string;
  /** Whether it comes with an evidence file (submitted and rejected ones do). */
  evidence: boolean;
}

const DAY = 86_400_000;

function rng(seed: number) {
  let a = (Math.floor(seed) ^ 0x7472_7573) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const BODIES = ['China Quality Certification Centre (CQC)', 'SGS-CSTC Standards Technical Services', 'TÜV SÜD Certification and Testing (China)', 'Bureau Veritas Certification (Beijing)', 'China Certification & Inspection Group (CCIC)'];
const REJECTIONS = [
  'The certificate number is not in the issuing body’s public register',
  'The scan is cut off: the scope and the validity dates are not readable',
  'The certificate names another company (different unified social credit code)',
  'This is a test report for one batch, not a certificate of conformity',
];

function issuerOf(cert: string, region: string, pick: <T>(xs: T[]) => T): string {
  if (cert === 'nmpa-registration') return `${region} Medical Products Administration`;
  if (cert === 'ce-marking') return 'TÜV SÜD Product Service GmbH (Notified Body 0123)';
  if (cert === 'fda-510k-eua') return 'U.S. Food and Drug Administration';
  if (cert.startsWith('gb-') || cert.startsWith('yy-')) return pick(['National Medical Device Quality Supervision and Inspection Center (Wuhan)', 'Guangdong Medical Device Quality Supervision and Testing Institute', 'Shanghai Testing & Inspection Institute for Medical Devices']);
  return pick(BODIES);
}

/**
 * Records for the scenario's suppliers. Suppliers in `allVerified` (the demo supplier login) get every ticked
 * certification verified; a supplier that ticked none mostly holds a verified ISO 9001. Shares of the rest:
 * about 78 % verified, 8 % submitted, 4 % rejected, 4 % expired (verified, but its validity ended), 6 % claimed.
 */
export function buildDemoCertifications(scenario: Scenario, opts: { seed: number; now: Date; allVerified?: Set<string> }): ScenarioCertification[] {
  const next = rng(opts.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const now = opts.now.getTime();
  const day = (offset: number) => new Date(now + offset * DAY).toISOString().slice(0, 10) + 'T00:00:00.000Z';
  const out: ScenarioCertification[] = [];
  for (const org of scenario.organizations) {
    if (org.role !== 'supplier') continue;
    const sure = opts.allVerified?.has(org.key) ?? false;
    const certs = org.certifications.length ? org.certifications : sure || next() < 0.85 ? ['iso-9001'] : [];
    for (const certification of certs) {
      const r = sure ? 0 : next();
      const decision: ScenarioCertification['decision'] = r < 0.78 ? 'verified' : r < 0.86 ? 'submitted' : r < 0.9 ? 'rejected' : r < 0.94 ? 'verified' : 'claimed';
      const expired = r >= 0.9 && r < 0.94;
      const validFrom = expired ? day(-Math.floor(700 + next() * 400)) : day(-Math.floor(30 + next() * 700));
      const validUntil = expired ? day(-Math.floor(1 + next() * 60)) : day(Math.floor(120 + next() * 900));
      out.push({
        orgKey: org.key,
        certification,
        decision,
        certificateNumber: `${certification.toUpperCase().replace(/-/g, '')}-${validFrom.slice(0, 4)}-${String(Math.floor(next() * 1e6)).padStart(6, '0')}`,
        issuer: issuerOf(certification, org.region, pick),
        validFrom,
        validUntil,
        ...(decision === 'rejected' ? { rejectionReason: pick(REJECTIONS) } : {}),
        evidence: decision === 'submitted' || decision === 'rejected',
      });
    }
  }
  return out;
}

/** A one-page PDF standing for a scanned certificate (the demo's evidence files). */
export function demoCertificatePdf(c: ScenarioCertification, orgName: string): Buffer {
  const esc = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').replace(/([()\\])/g, '\\$1');
  const lines = [`Certificate ${c.certificateNumber}`, `Standard: ${c.certification.toUpperCase()}`, `Holder: ${orgName}`, `Issued by: ${c.issuer}`, `Valid ${c.validFrom.slice(0, 10)} to ${c.validUntil.slice(0, 10)}`, 'Demo evidence file (Fuchan demo scenario)'];
  const text = `BT /F1 14 Tf 60 760 Td 18 TL ${lines.map((l) => `(${esc(l)}) Tj T*`).join(' ')} ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
