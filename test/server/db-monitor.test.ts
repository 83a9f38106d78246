import { expect } from 'chai';
import mongoose from 'mongoose';
import { pingDatabase } from '../../server/db/database';
import { startDbMonitor } from '../../server/db/monitor';

/** Keeps the event loop busy, as the ledger does while it plans a batch of commands. */
function busy(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('database monitor', () => {
  it('when the process is busy for longer than the ping timeout before the ping is even written, then the answered ping counts the database as up', async () => {
    const ping = pingDatabase(100);
    busy(300);
    expect(await ping).to.equal(true);
  });

  it('when the process is busy for longer than the ping timeout while the reply waits in the socket, then the answered ping counts the database as up', async () => {
    const ping = pingDatabase(100);
    setImmediate(() => busy(300));
    expect(await ping).to.equal(true);
  });

  it('when the process was busy for longer than two driver heartbeats (mongoose then says readyState 0), then the database is still pinged and counts as up', async () => {
    await new Promise((r) => mongoose.connection.getClient().once('serverHeartbeatSucceeded', r));
    busy(2100); // no heartbeat can be handled meanwhile: the last one is older than 2 x heartbeatFrequencyMS (1 s)
    expect(mongoose.connection.readyState, "mongoose's stale-heartbeat guess").to.equal(0);
    expect(await pingDatabase(100)).to.equal(true);
  });

  it('when the event loop stalls again and again while pings are out, then the monitor keeps reporting the database up', async () => {
    const monitor = startDbMonitor(20, 100);
    const seen: boolean[] = [];
    try {
      await new Promise<void>((done) => {
        // created after the monitor's, with the same period: each stall starts right after a ping is sent,
        // in the phase where the ledger plans its batches (setImmediate)
        const stalls = setInterval(() => {
          setImmediate(() => {
            busy(250);
            setImmediate(() => {
              seen.push(monitor.up());
              if (seen.length === 6) {
                clearInterval(stalls);
                done();
              }
            });
          });
        }, 20);
      });
      expect(seen).to.deep.equal([true, true, true, true, true, true]);
    } finally {
      monitor.stop();
    }
  });
});
