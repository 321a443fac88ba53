/**
 * `node dist/golden-step.js [--fixture FILE] [--json FILE]`: one full tiny training step against the
 * committed PyTorch fixture (test/helpers/golden-step-core.ts, the comparison test/golden-step.test.ts
 * makes under vitest), on whatever adapter this machine has. Prints each phase's result and every
 * failing check; exit 0 when all pass, 1 otherwise, 2 on bad options or a missing fixture.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { init } from '../../src/gpu/runtime';
import '../../src/ops';
import { GOLDEN_STEP_FILE, runGoldenStep } from '../../test/helpers/golden-step-core';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../../src/eval/cli-args';

const SPEC: Record<string, FlagSpec> = {
  fixture: { type: 'string', help: 'the golden step fixture', default: GOLDEN_STEP_FILE, meta: 'FILE' },
  json: { type: 'string', help: 'write every check as JSON', meta: 'FILE' },
};
const SYNOPSIS = 'node dist/golden-step.js [options]';

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  const fixture = get.str(a, 'fixture')!;
  if (!existsSync(fixture)) throw new UsageError(`fixture ${fixture} not found (run from the repository root or pass --fixture)`);
  const rt = await init();
  const t0 = performance.now();
  let checks;
  try {
    console.log(`golden tiny step on ${rt.describe()}`);
    checks = await runGoldenStep(fixture, (phase, cs) => {
      const bad = cs.filter((c) => !c.ok);
      const worst = cs.filter((c) => !c.exact).reduce((m, c) => Math.max(m, c.value / c.limit), 0);
      console.log(`${bad.length ? 'FAIL' : 'ok  '} ${phase}: ${cs.length - bad.length}/${cs.length} checks (worst error ${worst.toFixed(3)} of its limit)`);
      for (const c of bad) console.log(`  FAIL ${c.name}: ${c.value.toExponential(3)} (limit ${c.exact ? '= ' : '< '}${c.limit})`);
    });
  } finally {
    rt.destroy();
  }
  const failed = checks.filter((c) => !c.ok).length;
  const seconds = (performance.now() - t0) / 1000;
  console.log(`golden step: ${checks.length - failed}/${checks.length} checks passed in ${seconds.toFixed(1)} s`);
  const json = get.str(a, 'json');
  if (json) writeFileSync(json, `${JSON.stringify({ adapter: rt.adapterName, fixture, checks: checks.length, failed, seconds, results: checks }, null, 1)}\n`);
  return failed ? 1 : 0;
}

runCli(main);
