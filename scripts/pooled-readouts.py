#!/usr/bin/env python3
"""Is a task's label in the clip features in a form a linear probe cannot read?

A diagnostic, not the benchmark's protocol. proxy-bench caches every model's clip features per
task (DIR/features/features-*.safetensors: the mean-pooled [n, F'·D] features and the file list).
It reads the tasks whose files are named fold-id-take-label.wav (the procedural and speech tasks).
For one task this reads them from one or more proxy-bench folders (e.g. two recipes of one
seed) and scores three read-outs of the same standardised features, over the task's own folds
(the number before the first '-' of each file name; the label is the number after the last):

- linear: ridge regression on one-hot labels, λ in {1, 10, 100, 1000};
- kernel: kernel ridge with an RBF kernel exp(−γ·‖a − b‖²/dim), γ in {0.25, 1, 4}, λ in {0.01, 0.1, 1};
- kNN: cosine nearest neighbours, k in {1, 5, 15}, majority vote (ties to the lower class).

Each outer fold's hyper-parameters are chosen on the next fold (held out of training), then
refitted on all training folds, so no setting is picked on the test fold. A feature file is named
by the model of the folder's results.json whose participation ratio for the task it reproduces
(proxy-bench computes that ratio from the same features). Features that two folders hold bit for
bit (two recipes of one seed start from the same random init) are scored once.

  python3 scripts/pooled-readouts.py pitch runs/shift-seeds/seed-0 runs/decor-seeds/seed-0
"""
import glob, hashlib, json, os, struct, sys
import numpy as np

DTYPES = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64, 'U32': np.uint32}


def read_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for name, v in head.items():
        if name == '__metadata__':
            continue
        a, b = v['data_offsets']
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=DTYPES[v['dtype']]).reshape(v['shape'])
    return head.get('__metadata__', {}), out


def task_features(folder, task):
    """(files, features [n, dim] float64) of every cached feature file of the task in a folder."""
    found = []
    for path in sorted(glob.glob(os.path.join(folder, 'features', 'features-*.safetensors'))):
        meta, tensors = read_safetensors(path)
        files = json.loads(meta.get('files', '[]'))
        if not files or not os.path.basename(os.path.dirname(os.path.dirname(files[0]))).startswith(f'{task}-'):
            continue
        X = next(v for v in tensors.values() if v.ndim == 2)
        found.append((files, X.astype(np.float64)))
    return found


def folds_and_labels(files):
    parts = [os.path.basename(p).rsplit('.', 1)[0].split('-') for p in files]
    return np.array([int(p[0]) for p in parts]), np.array([int(p[-1]) for p in parts])


def standardise(train, *rest):
    mu, sd = train.mean(0), train.std(0)
    sd[sd == 0] = 1
    return [(x - mu) / sd for x in (train, *rest)]


def linear(Xtr, ytr, Xte, C, lam):
    Y = np.eye(C)[ytr]
    A = np.c_[Xtr, np.ones(len(Xtr))]
    W = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ Y)
    return (np.c_[Xte, np.ones(len(Xte))] @ W).argmax(1)


def kernel(Xtr, ytr, Xte, C, gamma, lam):
    def K(A, B):
        d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None] - 2 * A @ B.T
        return np.exp(-gamma * np.maximum(d, 0) / A.shape[1])
    alpha = np.linalg.solve(K(Xtr, Xtr) + lam * np.eye(len(Xtr)), np.eye(C)[ytr])
    return (K(Xte, Xtr) @ alpha).argmax(1)


def knn(Xtr, ytr, Xte, C, k):
    A = Xtr / np.maximum(np.linalg.norm(Xtr, axis=1, keepdims=True), 1e-12)
    B = Xte / np.maximum(np.linalg.norm(Xte, axis=1, keepdims=True), 1e-12)
    nearest = np.argsort(-(B @ A.T), axis=1, kind='stable')[:, :k]
    votes = np.zeros((len(Xte), C))
    np.add.at(votes, (np.repeat(np.arange(len(Xte)), k), ytr[nearest].ravel()), 1)
    return votes.argmax(1)


READOUTS = {
    'linear': (linear, [(lam,) for lam in (1, 10, 100, 1000)]),
    'kernel': (kernel, [(g, lam) for g in (0.25, 1, 4) for lam in (0.01, 0.1, 1)]),
    'kNN': (knn, [(k,) for k in (1, 5, 15)]),
}


def accuracy(X, folds, y, readout):
    """Mean test accuracy (%) over the folds; settings chosen on the next fold each time."""
    fn, grid = READOUTS[readout]
    C, ids, accs = y.max() + 1, np.unique(folds), []
    for i, f in enumerate(ids):
        valid = ids[(i + 1) % len(ids)]
        inner = (folds != f) & (folds != valid)
        a, v = standardise(X[inner], X[folds == valid])
        best = max(grid, key=lambda s: (fn(a, y[inner], v, C, *s) == y[folds == valid]).mean())
        train = folds != f
        a, t = standardise(X[train], X[folds == f])
        accs.append((fn(a, y[train], t, C, *best) == y[folds == f]).mean())
    return 100 * float(np.mean(accs))


def participation(X):
    """(Σλ)²/Σλ² of the standardised features' covariance, as src/eval/dimensionality.ts computes it."""
    mu, sd = X.mean(0), X.std(0)
    keep = sd > 1e-12 * (np.abs(mu) + 1)
    Z = (X[:, keep] - mu[keep]) / sd[keep]
    G = Z @ Z.T if Z.shape[0] < Z.shape[1] else Z.T @ Z
    return float(np.trace(G) ** 2 / (G * G).sum())


def model_names(folder, task):
    """(model, participation ratio) of each row of the folder's results.json for the task."""
    path = os.path.join(folder, 'results.json')
    if not os.path.exists(path):
        return []
    rows = json.load(open(path, encoding='utf8'))['rows']
    return [(r['model'], r['cells'][task].get('participation')) for r in rows if task in r['cells']]


def name_of(X, folder, task):
    """The results.json model whose participation ratio these features have (proxy-bench wrote both)."""
    pr = participation(X)
    for model, p in model_names(folder, task):
        if p is not None and abs(p - pr) <= 1e-6 * pr:
            return model
    return f'unnamed features (participation {pr:.2f})'


def main(task, folders):
    per_folder = {d: task_features(d, task) for d in folders}
    for d, found in per_folder.items():
        if not found:
            sys.exit(f'error: {d}/features holds no cached features of task {task}')
    print(f'| model | folders | linear | kernel | kNN |  ({task}, % over its folds; settings chosen on a held-out fold)')
    print('|---|---|---|---|---|')
    by_content = {}
    for d, found in per_folder.items():
        for files, X in found:
            h = hashlib.sha256(X.tobytes()).hexdigest()
            entry = by_content.setdefault(h, {'files': files, 'X': X, 'names': [], 'folders': []})
            if d not in entry['folders']:
                entry['folders'].append(d)
                entry['names'].append(name_of(X, d, task))
    for e in by_content.values():
        folds, y = folds_and_labels(e['files'])
        names = ' = '.join(dict.fromkeys(e['names']))
        print(f'| {names} | {", ".join(e["folders"])} | ' + ' | '.join('%.1f' % accuracy(e['X'], folds, y, r) for r in READOUTS) + ' |')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    main(sys.argv[1], sys.argv[2:])
