import mongoose from 'mongoose';
import { pingDatabase } from './database';

/** Pings the database every second; requests fail fast while it is down and health says so. */
export function startDbMonitor(intervalMs = 1000) {
  let up = true;
  const timer = setInterval(async () => {
    up = await pingDatabase(1000);
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
