"""Recipe A − recipe B paired by seed, where B survives only as a proxy-seeds report.

`node dist/proxy-seeds.js --versus` pairs two recipes from their per-seed rows (a proxy-seeds
folder or the NAME.json that --docs keeps in docs/results). Reports written before NAME.json kept
those rows (docs/results/seeds-report.md, the preset N over seeds 0-3) have only each seed's gain
over its random init, rounded to 0.1 point (1e-5 in stability). Because both recipes start each
seed from the same random init R(s), A(s) − B(s) = [A(s) − R(s)] − [B(s) − R(s)]; this script
takes the first bracket exactly from A's JSON and the second from B's report, after checking that
A's random-init row over the seeds equals the report's to its rounding.

  python3 scripts/versus-from-report.py docs/results/decor.json docs/results/seeds-report.md
"""
import json, math, statistics as st, sys

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}
PRE, RAND = 'pre-trained 1000 steps, AaPE on', 'random init, AaPE on'
SETS = ('procedural clips', 'recorded notes')


def cells(line):
    return [c.strip() for c in line.strip().strip('|').split('|')]


def read_report(path):
    """B's per-seed gains over its random init, its stability differences and its random-init row."""
    gains, stab, rand, seeds = {}, {}, {}, None
    for line in open(path, encoding='utf8'):
        if not line.startswith('|'):
            continue
        c = cells(line)
        if c[0] == 'paired by seed' or c[0] == 'stability, paired by seed':
            seeds = [int(x) for x in c[-2].removeprefix('per seed (').removesuffix(')').split(',')]
        elif c[0] == f'{PRE} − {RAND}':
            if c[1] in SETS:
                stab[c[1]] = [float(x) for x in c[3].split(',')]
            else:
                gains[(c[1], c[2])] = [float(x) for x in c[4].split(',')]
        elif len(c) >= 4 and c[1] in ('EVAR', 'ridge') and '±' in c[3]:
            rand[(c[0], c[1])] = float(c[3].split('±')[0])
    return seeds, gains, stab, rand


def ci(xs):
    m = st.mean(xs)
    return m, (T95[len(xs) - 1] * st.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else float('nan'))


def main(a_json, b_report):
    a = json.load(open(a_json, encoding='utf8'))
    seeds, gains, stab, rand = read_report(b_report)
    runs = {r['seed']: r['rows'] for r in a['runs']}
    if sorted(runs) != sorted(seeds):
        sys.exit(f'error: {a_json} has seeds {sorted(runs)}, {b_report} has {seeds}')
    row = lambda s, m: next(r for r in runs[s] if r['model'] == m)
    val = lambda s, m, t, p: 100 * (row(s, m)['cells'][t]['ci' if p == 'EVAR' else 'ridge']['mean'])
    fmt = lambda xs: '%+.1f ± %.1f' % ci(xs)
    name = a.get('name', 'A')
    out = [f'| task | probe | {name} − random init | report − random init | {name} − report, paired | per seed ({", ".join(map(str, seeds))}) |',
           '|---|---|---|---|---|---|']
    for t in a['tasks']:
        t = t['name']
        for p in ('ridge', 'EVAR'):
            r = st.mean(val(s, RAND, t, p) for s in seeds)
            if abs(r - rand[(t, p)]) > 0.05 + 1e-9:
                sys.exit(f'error: random init differs: {t} {p} {r:.2f} in {a_json} against {rand[(t, p)]} in {b_report}')
            ga = [val(s, PRE, t, p) - val(s, RAND, t, p) for s in seeds]
            gb = gains[(t, p)]
            d = [x - y for x, y in zip(ga, gb)]
            m, h = ci(d)
            mark = '**' if m - h > 0 else '*' if m + h < 0 else ''
            out.append(f'| {t} | {p} | {fmt(ga)} | {fmt(gb)} | {mark}{fmt(d)}{mark} | ' + ', '.join('%+.1f' % x for x in d) + ' |')
    for sset in SETS:
        mean_of = lambda s, m: st.mean(next(x for x in row(s, m)['stability'] if x['set'] == sset)['clips'])
        ga = [mean_of(s, PRE) - mean_of(s, RAND) for s in seeds]
        d = [x - y for x, y in zip(ga, stab[sset])]
        f5 = lambda xs: '%+.5f ± %.5f' % ci(xs)
        out.append(f'| stability, {sset} | | {f5(ga)} | {f5(stab[sset])} | {f5(d)} | ' + ', '.join('%+.5f' % x for x in d) + ' |')
    print('\n'.join(out))
    print(f'\nrandom init: {a_json} equals {b_report} on every cell to its rounding; bold/italic: the paired interval excludes 0 above/below')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    main(*sys.argv[1:])
