#!/usr/bin/env python3
"""PyTorch timings of the shapes our benchmarks measured, for like-for-like ratios on one GPU.

    python3 scripts/gpu/torch_bench.py --from OUT/kernels-bench.json --from OUT/matmul-peak.json \
        --json OUT/torch-bench.json [--device cuda] [--reps 10]

Reads the records of kernels-bench (`node dist/kernels-bench.js --json`) and of matmul-peak, and
times the same computation in PyTorch for every case it understands, by name and shape string:
matmul in any layout (and matvec), linear+gelu (exact GELU), softmax, layernorm (eps 1e-6), the
two-stage sum, and attention forward / forward+backward (scaled_dot_product_attention, which picks
PyTorch's fastest float32 kernel). Float32 throughout with TF32 OFF, so the comparison is against
true f32 arithmetic, like ours. Times are CUDA-event medians over --reps after warm-ups. Cases it does
not know (blocks, optimizer) are listed as skipped. Writes {torch, device, tf32, records, skipped}.
"""
import argparse
import json
import math
import re
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--from", dest="inputs", action="append", default=[], help="benchmark JSON to take cases from")
    p.add_argument("--json", required=True, help="output file")
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    return p.parse_args()


def load_cases(paths):
    cases, seen = [], set()
    for path in paths:
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print(f"torch_bench: skipping {path}: {e}", file=sys.stderr)
            continue
        recs = data if isinstance(data, list) else data.get("records", [])
        for r in recs:
            key = (r["name"], r["shape"])
            if key not in seen:
                seen.add(key)
                cases.append(key)
    return cases


MM = re.compile(r"^(\d+)x(\d+)(ᵀ?) · (\d+)x(\d+)(ᵀ?)$")
LIN = re.compile(r"^(\d+)x(\d+) → (\d+)$")
RC = re.compile(r"^(\d+)x(\d+)$")
ATT = re.compile(r"^B(\d+) H(\d+) (\d+)x(\d+) dh(\d+)$")


def build(torch, F, name, shape, dev):
    """A closure running one iteration of the case on `dev`, or None when the case is not known."""
    g = torch.Generator(device="cpu").manual_seed(0)
    rnd = lambda *s: (torch.rand(*s, generator=g) * 2 - 1).to(dev)
    m = MM.match(shape)
    if (name.startswith("matmul") or name == "matvec") and m:
        M, K, ta, N, tb = int(m[1]), int(m[2]), m[3] == "ᵀ", int(m[5]), m[6] == "ᵀ"
        a = rnd(K, M) if ta else rnd(M, K)
        b = rnd(N, K) if tb else rnd(K, N)
        return lambda: torch.matmul(a.t() if ta else a, b.t() if tb else b)
    m = LIN.match(shape)
    if name == "linear+gelu" and m:
        rows, inf, out = int(m[1]), int(m[2]), int(m[3])
        x, w, bias = rnd(rows, inf), rnd(out, inf) * 0.1, rnd(out)
        return lambda: F.gelu(F.linear(x, w, bias), approximate="none")
    m = RC.match(shape)
    if name == "softmax" and m:
        x = rnd(int(m[1]), int(m[2])) * 4
        return lambda: torch.softmax(x, -1)
    if name == "layernorm" and m:
        cols = int(m[2])
        x, w, bias = rnd(int(m[1]), cols) * 2, rnd(cols) * 0.5 + 1, rnd(cols)
        return lambda: F.layer_norm(x, (cols,), w, bias, 1e-6)
    if name.startswith("sum") and re.match(r"^\d+$", shape):
        x = rnd(int(shape))
        return lambda: x.sum()
    m = ATT.match(shape)
    if name.startswith("attention") and m:
        B, H, nq, nk, dh = (int(v) for v in m.groups())
        q, k, v, r = rnd(B, H, nq, dh), rnd(B, H, nk, dh), rnd(B, H, nk, dh), rnd(B, H, nq, dh)
        # PyTorch < 2.0 has no fused attention: the composition there (scale 1/sqrt(dh) either way).
        sdpa = getattr(F, "scaled_dot_product_attention", None) or (
            lambda a, b, c: torch.softmax(a @ b.transpose(-1, -2) / math.sqrt(a.shape[-1]), -1) @ c)
        if name == "attention fwd":
            return lambda: sdpa(q, k, v)
        q.requires_grad_(True); k.requires_grad_(True); v.requires_grad_(True)

        def fwd_bwd():
            q.grad = k.grad = v.grad = None
            sdpa(q, k, v).backward(r)
            return q.grad
        return fwd_bwd
    return None


def time_case(torch, fn, dev, reps, warmup):
    for _ in range(warmup):
        fn()
    if dev == "cuda":
        torch.cuda.synchronize()
        times = []
        for _ in range(reps):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            times.append(s.elapsed_time(e))
    else:
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    a = parse_args()
    out = {"torch": None, "device": None, "tf32": False, "records": [], "skipped": [], "note": None}
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        out["note"] = f"PyTorch not available ({e})"
        json.dump(out, open(a.json, "w"), indent=1)
        print(f"torch_bench: {out['note']}", file=sys.stderr)
        return 1
    out["torch"] = torch.__version__
    if a.device == "cuda" and not torch.cuda.is_available():
        out["note"] = "torch.cuda.is_available() is False"
        json.dump(out, open(a.json, "w"), indent=1)
        print(f"torch_bench: {out['note']}", file=sys.stderr)
        return 1
    # TF32 off everywhere: float32 matmuls and convolutions in full precision, like ours.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    out["device"] = torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {out['device']}, float32, TF32 off")
    for name, shape in load_cases(a.inputs):
        fn = build(torch, F, name, shape, a.device)
        if fn is None:
            out["skipped"].append({"name": name, "shape": shape})
            continue
        try:
            ms = time_case(torch, fn, a.device, a.reps, a.warmup)
        except RuntimeError as e:  # e.g. out of memory: record it, go on with the next case
            out["skipped"].append({"name": name, "shape": shape, "error": str(e).split("\n")[0]})
            continue
        out["records"].append({"name": name, "shape": shape, "torch_ms": ms, "reps": a.reps})
        print(f"{name} | {shape} | {ms:.4f} ms")
        json.dump(out, open(a.json, "w"), indent=1)
    json.dump(out, open(a.json, "w"), indent=1)
    print(f"{len(out['records'])} cases timed, {len(out['skipped'])} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
