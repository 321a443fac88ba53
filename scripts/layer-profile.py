#!/usr/bin/env python3
"""Which block of the encoder holds what each task needs: one pre-training seed, read at every depth.

Reads proxy-bench folders run with the same checkpoint and options apart from --layer (the
encoder cut after block N; a folder without --layer read the whole encoder) and prints, per
probe, one table: a row per task, a column per block, each cell random init → pre-trained
(pre-trained − random init, points), both cut at that block. A second pair of tables compares
each block of the pre-trained model with the random init read the protocol's way (the deepest
block given), the comparison a user choosing a read-out depth makes. Each folder must hold
exactly one random-init row and one pre-trained row, and the same seed; the tables cover the tasks
every folder has (a profile run on a few tasks beside the whole-encoder run on all of them).

  python3 scripts/layer-profile.py 0=runs/p/layer0 1=runs/p/layer1 4=runs/decor-seeds/seed-0 --json out.json
"""
import json, os, sys

PROBES = (('ridge', 'ridge'), ('EVAR', 'ci'))


def fail(msg):
    print(f'layer-profile: {msg}', file=sys.stderr)
    sys.exit(2)


def load(block, folder):
    path = os.path.join(folder, 'results.json')
    try:
        res = json.load(open(path))
    except (OSError, ValueError) as e:
        fail(f'{path}: {getattr(e, "strerror", None) or e}')
    s = res['settings']
    if 'layer' in s and s['layer'] != block:
        fail(f'{path} was read at block {s["layer"]}, given as block {block}')
    rows = res['rows']
    rand = [r for r in rows if r['model'].startswith('random init')]
    pre = [r for r in rows if r['model'].startswith('pre-trained')]
    if len(rand) != 1 or len(pre) != 1:
        fail(f'{path} needs one random-init and one pre-trained row, has {[r["model"] for r in rows]}')
    cell = lambda row, t, key: 100 * row['cells'][t][key]['mean']
    return {
        'block': block, 'folder': folder, 'whole': 'layer' not in s, 'seed': s['seed'], 'tasks': s['tasks'],
        'random': {p: {t: cell(rand[0], t, k) for t in s['tasks']} for p, k in PROBES},
        'pretrained': {p: {t: cell(pre[0], t, k) for t in s['tasks']} for p, k in PROBES},
    }


def table(runs, probe, base_of):
    head = ['task'] + [f'block {r["block"]}{" (whole encoder)" if r["whole"] else ""}' for r in runs]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for t in runs[0]['tasks']:
        cells = []
        for r in runs:
            b, p = base_of(r)[probe][t], r['pretrained'][probe][t]
            cells.append(f'{b:.1f} → {p:.1f} ({p - b:+.1f})')
        lines.append(f'| {t} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv):
    out = None
    if '--json' in argv:
        i = argv.index('--json')
        if i + 1 >= len(argv):
            fail('--json needs a path')
        out = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) < 2 or any('=' not in a for a in argv):
        fail('give two or more BLOCK=DIR arguments (proxy-bench folders of one checkpoint read at different --layer)')
    runs = []
    for a in argv:
        b, d = a.split('=', 1)
        if not b.isdigit():
            fail(f'{a}: the block must be a whole number')
        runs.append(load(int(b), d))
    runs.sort(key=lambda r: r['block'])
    if len({r['block'] for r in runs}) != len(runs):
        fail('a block is given twice')
    for r in runs[1:]:
        if r['seed'] != runs[0]['seed']:
            fail(f'{r["folder"]} has another seed than {runs[0]["folder"]}')
    common = [t for t in runs[0]['tasks'] if all(t in r['tasks'] for r in runs)]
    if not common:
        fail('the folders have no task in common')
    left = sorted({t for r in runs for t in r['tasks']} - set(common))
    if left:
        print(f'tasks not in every folder, left out: {", ".join(left)}\n')
    for r in runs:
        r['tasks'] = common
        for side in ('random', 'pretrained'):
            r[side] = {p: {t: r[side][p][t] for t in common} for p in r[side]}
    deepest = runs[-1]
    for probe, _ in PROBES:
        print(f'{probe}: random init → pre-trained, both cut at the block (pre-trained − random init)\n')
        print(table(runs, probe, lambda r: r['random']) + '\n')
    for probe, _ in PROBES:
        print(f'{probe}: random init at block {deepest["block"]} → pre-trained at the block (difference)\n')
        print(table(runs, probe, lambda r: deepest['random']) + '\n')
    if out:
        json.dump({'seed': runs[0]['seed'], 'blocks': runs}, open(out, 'w'), indent=1)


if __name__ == '__main__':
    main(sys.argv[1:])
