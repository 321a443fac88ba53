/**
 * `node dist/proxy-seeds.js --pretrain-seeds 0,1,2 --out DIR -- <proxy-bench options>`: the proxy
 * benchmark repeated over pre-training seeds. For each seed s it runs `node dist/proxy-bench.js
 * <options> --seed s --out DIR/seed-s --data-dir DIR/data` (one child process per seed, the data sets
 * written once and shared), then combines the runs' results.json: per model, task and probe the mean
 * ± 95 % CI over the seeds, which pre-trained rows beat random init with disjoint CIs, and the gain
 * paired by seed (a run with seed s pre-trains from the random init drawn with seed s). A seed whose
 * results.json exists is reused, and proxy-bench itself resumes an interrupted seed, so the command
 * can be run again after an interruption. DIR/args.json keeps the options, so a second call with
 * other options fails instead of mixing two benchmarks. `--also OTHER` adds the rows of another such
 * folder made with the same seeds and options apart from --models (typically the AaPE-off models run
 * after the AaPE-on ones), so one report holds random init vs pre-trained × AaPE on/off, with
 * AaPE on − off paired by seed as well. `--versus OTHER` compares this recipe with another one by
 * seed (this recipe's pre-trained model(s) − the other's, per task, probe and clip set): OTHER is a
 * proxy-seeds folder or the NAME.json one wrote (it keeps every seed's rows, and --docs copies it
 * into docs/results, so a recipe can be compared with one whose run folders are gone). The two must
 * be the same benchmark with the same inits, which their random-init rows being equal shows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { gainCharts, gainTable, pairedGainCharts, seedsReport, stabilityTable, versusGains, type Recipe, type SeedRun } from '../eval/seed-table';
import type { BenchTask } from '../eval/proxy-table';
import { lineChartSvg } from '../eval/svg-plot';
import { benchLossCurves } from '../eval/loss-curve';
import { distScript, runNode } from '../eval/proxy-pretrain';

const SPEC: Record<string, FlagSpec> = {
  'pretrain-seeds': { type: 'numbers', help: 'pre-training (and random-init) seeds, one proxy-bench run each; 3 or more give an interval', default: [0, 1, 2], meta: 'LIST' },
  out: { type: 'string', help: 'output folder (DIR/seed-<s>/ per seed, DIR/data/ shared)', default: 'runs/proxy-seeds', meta: 'DIR' },
  name: { type: 'string', help: 'file-name prefix of the combined results: NAME.json, NAME-report.md, NAME-loss.svg, NAME-gains-{ridge,evar}.svg (a second recipe gets its own name, so --docs does not overwrite the first)', default: 'seeds', meta: 'NAME' },
  docs: { type: 'string', help: 'also write DIR/results/NAME-report.md with its loss plot, gain charts and NAME.json (every seed\'s rows, for a later --versus)', meta: 'DIR' },
  also: { type: 'string', help: 'combine with the runs in another proxy-seeds folder (same seeds and options apart from --models, e.g. the AaPE-off models)', meta: 'DIR' },
  versus: { type: 'string', help: 'compare with another recipe paired by seed: a proxy-seeds folder, or the NAME.json it wrote (also kept in docs/results by --docs); it must hold the same seeds and equal random-init rows', meta: 'PATH' },
};
const SYNOPSIS = 'node dist/proxy-seeds.js [options] -- <proxy-bench options>';
/** Options this command sets for each seed itself. */
const OWN = ['out', 'seed', 'data-dir', 'docs', 'checkpoints'];

interface Results { settings: { tasks: string[]; seed: number; minutes?: number }; rows: SeedRun['rows']; details: { model: string; tasks: Record<string, { classes?: string[] } | undefined> }[] }

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(`${usage(SYNOPSIS, SPEC)}\n\nEverything after -- goes to proxy-bench (see node dist/proxy-bench.js --help) except ${OWN.map((o) => `--${o}`).join(', ')}, which this command sets (--checkpoints has no meaning here: each seed is pre-trained).`); return 0; }
  const seeds = get.nums(a, 'pretrain-seeds')!;
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError('--pretrain-seeds must be non-negative integers');
  if (new Set(seeds).size !== seeds.length) throw new UsageError('--pretrain-seeds lists a seed twice');
  const pass = a.positional;
  for (const arg of pass) {
    const name = /^--(?:no-)?([^=]+)/.exec(arg)?.[1];
    if (name === 'checkpoints') throw new UsageError('--checkpoints after --: proxy-seeds pre-trains each seed itself (evaluate given checkpoints with proxy-bench)');
    if (name && OWN.includes(name)) throw new UsageError(`--${name} after --: proxy-seeds sets it for each seed`);
  }
  const out = get.str(a, 'out')!;
  const prefix = get.str(a, 'name')!;
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new UsageError(`--name ${prefix}: use letters, digits, - and _ (it names files)`);
  const log = (m: string) => console.error(m);
  await mkdir(out, { recursive: true });
  const argsFile = join(out, 'args.json');
  if (existsSync(argsFile)) {
    const before = JSON.parse(readFileSync(argsFile, 'utf8')) as string[];
    if (!sameOptions(before, pass)) throw new UsageError(`${out} holds runs made with other proxy-bench options (${before.join(' ')}); use another --out`);
  } else await writeFile(argsFile, JSON.stringify(pass) + '\n');

  const also = get.str(a, 'also');
  if (also) checkAlso(also, pass, seeds); // before any seed runs, not hours later
  const versusPath = get.str(a, 'versus');
  const other = versusPath ? loadRecipe(versusPath, seeds) : undefined;
  if (other?.name === prefix) throw new UsageError(`--versus ${versusPath}: that recipe is also called ${prefix}; give this one another --name`);

  const runs: (SeedRun & { results: Results })[] = [];
  for (const [i, seed] of seeds.entries()) {
    const dir = join(out, `seed-${seed}`), file = join(dir, 'results.json');
    if (existsSync(file)) log(`seed ${seed} (${i + 1}/${seeds.length}): reusing ${file}`);
    else {
      const args = [distScript('proxy-bench'), ...pass, '--seed', String(seed), '--out', dir, '--data-dir', join(out, 'data')];
      log(`seed ${seed} (${i + 1}/${seeds.length}): node ${args.join(' ')}`);
      const code = await runNode(args);
      if (code !== 0) throw new Error(`proxy-bench for seed ${seed} exited with code ${code}; run this command again to resume it`);
    }
    const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
    if (results.settings.seed !== seed) throw new Error(`${file} was made with seed ${results.settings.seed}, not ${seed}`);
    runs.push({ seed, rows: results.rows, results });
  }
  const alsoMinutes: (number | undefined)[] = also ? addRuns(runs, also) : [];

  const taskNames = runs[0].results.settings.tasks;
  for (const r of runs) if (JSON.stringify(r.results.settings.tasks) !== JSON.stringify(taskNames)) throw new Error(`seed ${r.seed} evaluated other tasks (${r.results.settings.tasks.join(', ')}) than seed ${runs[0].seed}`);
  const tasks: BenchTask[] = taskNames.map((name) => ({ name, classes: classesOf(runs[0].results, name) }));
  const { rows, table, verdict, paired, stability } = seedsReport(tasks, runs);
  const versus = other ? versusGains(tasks, { name: prefix, runs }, other) : undefined;
  const versusCharts = versus ? gainCharts(tasks, versus.gains, seeds).map(({ probe, svg }) => ({ probe, svg, file: `${prefix}-vs-${other!.name}-${probe.toLowerCase()}.svg` })) : [];
  for (const c of versusCharts) await writeFile(join(out, c.file), c.svg);
  const lossFile = `${prefix}-loss.svg`, reportFile = `${prefix}-report.md`, jsonFile = `${prefix}.json`;
  const minutes = runs.reduce((m, r) => m + (r.results.settings.minutes ?? 0), 0) + alsoMinutes.reduce<number>((m, x) => m + (x ?? 0), 0);
  const fmt = (x: number | undefined) => `${x?.toFixed(1) ?? '?'} min`;
  const folders = also ? [out, also] : [out];
  // One colour per seed, AaPE off dashed.
  const losses = runs.flatMap((r, i) => folders.flatMap((f) => benchLossCurves(join(f, `seed-${r.seed}`))).map((c) => ({ ...c, name: `seed ${r.seed}, ${c.name}`, colorIndex: i, dashed: c.name === 'AaPE off' })));
  if (losses.length) await writeFile(join(out, lossFile), lineChartSvg(losses, { title: 'Pre-training loss per seed', xLabel: 'step', yLabel: 'loss (pred + λ·con)' }));
  const charts = pairedGainCharts(tasks, runs).map(({ probe, svg }) => ({ probe, svg, file: `${prefix}-gains-${probe.toLowerCase()}.svg` }));
  for (const c of charts) await writeFile(join(out, c.file), c.svg);
  const command = `node dist/proxy-seeds.js ${process.argv.slice(2).join(' ')}`;
  const n = seeds.length;
  const report = [
    `Command: \`${command}\``, '',
    `Time: ${runs.map((r, i) => `seed ${r.seed} ${fmt(r.results.settings.minutes)}${also ? ` + ${fmt(alsoMinutes[i])}` : ''}`).join(', ')} (each proxy-bench run, its reused pieces not counted${also ? `; the second number is the run in ${also}` : ''}); combined on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`, '',
    `Test accuracy (%) over ${n} pre-training seeds (${seeds.join(', ')}): each cell is the mean ± 95 % CI (Student t, ${n - 1} dof) of the runs' own means (each a mean over the evaluation seeds). A random-init row uses the init drawn with each seed; a pre-trained row starts from it. The stability rows are per seed the mean over clips.`, '',
    table, '', 'Pre-trained vs random init, intervals over pre-training seeds:', '', verdict, '',
    'The same gains paired by seed (pre-trained(s) − random init(s)), which removes the init\'s own spread, and where both AaPE settings were run AaPE on(s) − AaPE off(s):', '', paired, '',
    ...charts.map((c) => `![${c.probe} probe: differences paired by seed](${c.file})\n`),
    ...(stability ? ['Stability paired by seed (each seed\'s mean over the same clips):', '', stability, ''] : []),
    ...(versus && other ? [
      `Against the recipe ${other.name} (${versusPath}), paired by seed: ${prefix}(s) − ${other.name}(s). Their random-init rows are equal cell for cell, so the two share the data, the evaluation and each seed's init; only the pre-training differs.`, '',
      gainTable(versus.gains, seeds), '',
      ...versusCharts.map((c) => `![${c.probe} probe: ${prefix} − ${other.name} paired by seed](${c.file})\n`),
      ...(versus.stability.length ? [stabilityTable(versus.stability, seeds), ''] : []),
    ] : []),
    ...(losses.length ? [`![pre-training loss per seed](${lossFile})`, ''] : []),
    `Per-seed reports: ${seeds.map((s) => `[seed ${s}](seed-${s}/report.md)`).join(', ')}.`, '',
  ].join('\n');
  // runs: every seed's own rows, so --versus can pair another recipe with this one by seed later.
  await writeFile(join(out, jsonFile), JSON.stringify({ name: prefix, seeds, args: pass, ...(also ? { also } : {}), tasks, rows, minutes,
    runs: runs.map((r) => ({ seed: r.seed, rows: r.rows })), ...(versus && other ? { versus: { name: other.name, ...versus } } : {}) }, null, 1));
  await writeFile(join(out, reportFile), report);
  const docs = get.str(a, 'docs');
  if (docs) {
    await mkdir(join(docs, 'results'), { recursive: true });
    for (const f of [...(losses.length ? [lossFile] : []), jsonFile, ...charts.map((c) => c.file), ...versusCharts.map((c) => c.file)]) await copyFile(join(out, f), join(docs, 'results', f));
    await writeFile(join(docs, 'results', reportFile), report.replace(/\[seed (\d+)\]\(seed-\d+\/report\.md\)/g, 'seed $1'));
    log(`wrote ${join(docs, 'results', reportFile)}`);
  }
  console.log(table);
  console.log(`\n${verdict}\n\n${paired}${stability ? `\n\n${stability}` : ''}`);
  if (versus) console.log(`\n${gainTable(versus.gains, seeds)}${versus.stability.length ? `\n\n${stabilityTable(versus.stability, seeds)}` : ''}`);
  console.log(`\naccuracy: mean ± 95% CI over ${n} pre-training seeds; results in ${join(out, reportFile)}`);
  return 0;
}

/**
 * Whether two proxy-bench option lists say the same thing, in whatever order: each option with its
 * value ("--steps 1000", "--steps=1000", a bare flag) is one item, and the items are compared as
 * sets, leaving out those of the option `ignore` (e.g. '--models').
 */
function sameOptions(a: readonly string[], b: readonly string[], ignore?: string): boolean {
  const items = (args: readonly string[]) => {
    const out: string[] = [];
    for (const x of args) {
      if (x.startsWith('--') || !out.length) out.push(x.replace('=', ' '));
      else out[out.length - 1] += ` ${x}`;
    }
    return JSON.stringify(out.filter((i) => i.split(' ')[0] !== ignore).sort());
  };
  return items(a) === items(b);
}

/** The --also folder must be a proxy-seeds folder made with the same options apart from --models, holding every seed. */
function checkAlso(other: string, pass: readonly string[], seeds: readonly number[]): void {
  const { args } = otherFolder('--also', other, seeds);
  if (!sameOptions(args, pass, '--models')) throw new UsageError(`--also ${other}: made with other proxy-bench options (${args.join(' ')}); only --models may differ`);
}

/**
 * Another proxy-seeds folder that a flag (--also, --versus) names: its proxy-bench options and the
 * results.json of each given seed, or a usage error saying what is missing.
 */
function otherFolder(flag: string, dir: string, seeds: readonly number[]): { args: string[]; files: string[] } {
  const argsFile = join(dir, 'args.json');
  if (!existsSync(argsFile)) throw new UsageError(`${flag} ${dir}: no args.json there (not a proxy-seeds folder)`);
  const files = seeds.map((seed) => {
    const file = join(dir, `seed-${seed}`, 'results.json');
    if (!existsSync(file)) throw new UsageError(`${flag} ${dir}: ${file} is missing (run proxy-seeds there with seed ${seed} first)`);
    return file;
  });
  return { args: JSON.parse(readFileSync(argsFile, 'utf8')) as string[], files };
}

/**
 * The recipe --versus names, with the runs of the given seeds: from a proxy-seeds folder (its
 * seed-<s>/results.json, named after the folder) or from the NAME.json one wrote (its per-seed rows,
 * named NAME). Checked before any seed runs.
 */
function loadRecipe(path: string, seeds: readonly number[]): Recipe {
  if (!existsSync(path)) throw new UsageError(`--versus ${path}: no such file or folder`);
  if (path.endsWith('.json')) {
    let j: { name?: string; runs?: SeedRun[] };
    try { j = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new UsageError(`--versus ${path}: not readable as JSON (${(e as Error).message})`); }
    if (!Array.isArray(j.runs)) throw new UsageError(`--versus ${path}: it keeps no per-seed rows (a combined file written before they were added); give its proxy-seeds folder instead`);
    const missing = seeds.filter((s) => !j.runs!.some((r) => r.seed === s));
    if (missing.length) throw new UsageError(`--versus ${path}: no run with seed ${missing.join(', ')} in it`);
    return { name: j.name ?? basename(path, '.json'), runs: j.runs };
  }
  const { files } = otherFolder('--versus', path, seeds);
  return { name: basename(path), runs: files.map((file, i) => ({ seed: seeds[i], rows: (JSON.parse(readFileSync(file, 'utf8')) as Results).rows })) };
}

/**
 * Adds to each run the rows of the same seed in the --also folder (checked by checkAlso). A model
 * both folders have (the same seed, data and config give the same row) is taken from this folder.
 * Returns the other runs' times.
 */
function addRuns(runs: (SeedRun & { results: Results })[], other: string): (number | undefined)[] {
  return runs.map((run) => {
    const file = join(other, `seed-${run.seed}`, 'results.json');
    const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
    if (JSON.stringify(r.settings.tasks) !== JSON.stringify(run.results.settings.tasks)) throw new Error(`${file} evaluated other tasks (${r.settings.tasks.join(', ')})`);
    const have = new Set(run.rows.map((x) => x.model));
    run.rows = [...run.rows, ...r.rows.filter((x) => !have.has(x.model))].sort((x, y) => rank(x.model) - rank(y.model));
    run.results = { ...run.results, details: [...run.results.details, ...r.details] };
    return r.settings.minutes;
  });
}

/** Column order: random init before pre-trained, AaPE on before off, anything else (log-mel) last. */
function rank(model: string): number {
  const kind = model.startsWith('random init') ? 0 : model.startsWith('pre-trained') ? 2 : 4;
  return kind + (model.endsWith('AaPE off') ? 1 : 0);
}

/** A task's class count from a run's details (the labels its probe saw). */
function classesOf(r: Results, task: string): number {
  for (const d of r.details) {
    const c = d.tasks[task]?.classes;
    if (c?.length) return c.length;
  }
  throw new Error(`no class list for task ${task} in the results`);
}

runCli(main);
