/** `npm run bench -- <name>`: runs one benchmark (or all with no name). */
import { benchApi } from './api';
import { benchPods } from './pods';
import { benchCtl } from './ctl';
import { benchProxy } from './proxy';
import { benchScheduler } from './scheduler';

const BENCHES: Record<string, () => Promise<void>> = {
  scheduler: benchScheduler,
  api: benchApi,
  pods: benchPods,
  ctl: benchCtl,
  proxy: benchProxy,
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const chosen = names.length ? names : Object.keys(BENCHES);
  for (const n of chosen) {
    const b = BENCHES[n];
    if (!b) {
      process.stderr.write(`unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}\n`);
      process.exit(2);
    }
    process.stdout.write(`== bench ${n} ==\n`);
    await b();
  }
}

main().then(() => process.exit(0), (e: Error) => { process.stderr.write(`${e.stack ?? e.message}\n`); process.exit(1); });
