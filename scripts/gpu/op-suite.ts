/**
 * `node dist/op-suite.js [--filter NAMES] [--json FILE]`: every op definition and every case through
 * the shared op checker (test/helpers/op-check-core.ts, the same comparison test/ops.test.ts makes
 * under vitest), on whatever adapter this machine has, without vitest. Prints one line per failing
 * case and a count; exit 0 when every case passed, 1 otherwise, 2 on bad options.
 */
import { writeFileSync } from 'node:fs';
import { init } from '../../src/gpu/runtime';
import { allOpSpecs } from '../../src/ops';
import { failures, runOpCase } from '../../test/helpers/op-check-core';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../../src/eval/cli-args';

const SPEC: Record<string, FlagSpec> = {
  filter: { type: 'strings', help: 'only ops whose name contains one of these (comma list)', meta: 'NAMES' },
  'max-cases': { type: 'int', help: 'at most this many cases per op (0: all)', default: 0, meta: 'N' },
  json: { type: 'string', help: 'write the per-case results as JSON', meta: 'FILE' },
};
const SYNOPSIS = 'node dist/op-suite.js [options]';

interface CaseRecord { op: string; case: number; shapes: number[][]; ok: boolean; ms: number; failures: string[] }

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]}`);
  const filter = get.strs(a, 'filter')?.map((s) => s.toLowerCase());
  const maxCases = get.num(a, 'max-cases');
  const specs = allOpSpecs.filter((s) => !filter || filter.some((f) => s.name.toLowerCase().includes(f)));
  if (!specs.length) throw new UsageError(`--filter ${filter} matches no op`);
  const rt = await init();
  const records: CaseRecord[] = [];
  const t0 = performance.now();
  const json = get.str(a, 'json');
  // Written after every op too, so a run stopped by a time limit still shows how far it got.
  const save = (complete: boolean) => {
    if (!json) return;
    const failed = records.filter((r) => !r.ok).length;
    const summary = { adapter: rt.adapterName, complete, ops: specs.length, cases: records.length, passed: records.length - failed, failed, seconds: (performance.now() - t0) / 1000 };
    writeFileSync(json, `${JSON.stringify({ ...summary, records }, null, 1)}\n`);
  };
  try {
    console.log(`op suite on ${rt.describe()}: ${specs.length} ops`);
    for (const spec of specs) {
      const n = maxCases > 0 ? Math.min(maxCases, spec.cases.length) : spec.cases.length;
      for (let i = 0; i < n; i++) {
        const c0 = performance.now();
        let msgs: string[];
        try {
          msgs = failures(await runOpCase(spec, i));
        } catch (e) {
          msgs = [`${spec.name} case ${i} threw: ${(e as Error).message.split('\n')[0]}`];
        }
        const rec = { op: spec.name, case: i, shapes: spec.cases[i], ok: msgs.length === 0, ms: performance.now() - c0, failures: msgs };
        records.push(rec);
        for (const m of msgs) console.log(`FAIL ${m}`);
      }
      save(false);
    }
  } finally {
    rt.destroy();
  }
  const failed = records.filter((r) => !r.ok).length;
  console.log(`op suite: ${records.length - failed}/${records.length} cases passed (${specs.length} ops) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  save(true);
  return failed ? 1 : 0;
}

runCli(main);
