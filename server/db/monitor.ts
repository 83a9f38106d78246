import mongoose from 'mongoose';
import { pingDatabase } from './database';

/**
 * Pings the database every `intervalMs`; requests fail fast while it is down and health says so. Down
 * means the driver lost the server (mongoose's `disconnected`) or a ping went unanswered for `timeoutMs`
 * of time the event loop was free to read the reply (pingDatabase): a process busy planning a batch is
 * not a database outage. One ping at a time, so a late answer never overwrites a newer one.
 */
export function startDbMonitor(intervalMs = 1000, timeoutMs = 1000) {
  let up = true;
  let pinging = false;
  const timer = setInterval(() => {
    if (pinging) return;
    pinging = true;
    void pingDatabase(timeoutMs)
      .then((ok) => (up = ok))
      .finally(() => (pinging = false));
  }, intervalMs);
  timer.unref();
  const onDisconnected = () => {
    up = false;
  };
  mongoose.connection.on('disconnected', onDisconnected);
  return {
    up: () => up,
    stop() {
      clearInterval(timer);
      mongoose.connection.off('disconnected', onDisconnected);
    },
  };
}
