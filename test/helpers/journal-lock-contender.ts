// A process that opens the embedded ledger on DATA_DIR at the moment START_AT
// (epoch ms), prints whether it got it, and keeps it until killed: two of these
// started together race for one DATA_DIR the way two spikes starting at once do.
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';

async function main(): Promise<void> {
  const startAt = Number(process.env.START_AT);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now() - 20)));
  // Spin the last few milliseconds on a sub-millisecond clock, so both contenders go within microseconds.
  while (performance.timeOrigin + performance.now() < startAt) {
    // spin
  }
  try {
    EmbeddedLedger.open({ dataDir: process.env.DATA_DIR!, fsync: 'batch' });
    console.log('locked');
    setInterval(() => {}, 1 << 30);
  } catch (error) {
    console.log(`refused: ${(error as Error).message}`);
    process.exit(0);
  }
}
void main();
