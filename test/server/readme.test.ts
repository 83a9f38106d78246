import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'chai';
import type { Running } from '../../server/index';
import { startTestServer } from '../fixtures/app';

/** The README's tour, as written: the first `sh` block after the "A tour" heading. */
function tourScript(): string {
  const readme = fs.readFileSync('README.md', 'utf8');
  const at = readme.indexOf('### A tour');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !block) throw new Error('the README has no tour');
  return block[1];
}

describe('the README', function () {
  this.timeout(180_000);
  let s: Running;
  after(async () => s?.stop());

  it('when its API tour runs as written against a started service with the demo, then every step succeeds', async () => {
    s = await startTestServer({ FUCHAN_DEMO: 'true' });
    // the service runs in this process: the script runs beside it, not blocking it
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', tourScript()], { env: { ...process.env, FUCHAN_URL: s.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const run = { status, stdout, stderr };
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).to.include.members(['accepted_by_buyer', 'confirmed', 'in_production', 'shipped', 'delivered']);
    expect(run.stdout).to.match(/^\d+ proposals made, \d+ replaced, \d+ kept$/m);
    const gowns = lines.find((l) => l.startsWith('protective-gown: '))!;
    expect(gowns, run.stdout).to.match(/^protective-gown: \d+ \(piece\) demanded, \d+ confirmed, (\d+) delivered, \d+ short$/);
    expect(Number(/(\d+) delivered/.exec(gowns)![1])).to.be.at.least(6000);
  });
});
