"""Self-checks of the reference: gradcheck (float64) of the SBLU and AaPE, the SBLU against a direct
complex-arithmetic loop, InfoNCE against a loop, AdamW against torch.optim.AdamW, the leak-free masking,
the position embedding, and the golden files' round trip. Run: /usr/bin/python3 test/reference/selfcheck.py
"""
import cmath
import math
import os

import torch
from torch.autograd import gradcheck
from torch.nn.utils import stateless

import fixture_init as fi
import safetensors_io as st
from aasp_ref import AaspConfig, AaspEncoder, sblu, pos_embed_2d
from aasp_ssl import AaSP, random_masks, info_nce, student_visible, masked_input, decay_flags, adamw_step_

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (f"  ({detail})" if detail else ""))


def sblu_loop(u, alpha, omega, g, K):
    """Literal spec formula with complex numbers and explicit loops."""
    B, Fb, T = u.shape
    M = alpha.shape[-1]
    c = K // 2
    S = torch.zeros(B, Fb, M, T)
    for b in range(B):
        for f in range(Fb):
            for i in range(M):
                lam = complex(alpha[b, f, i].item(), omega[b, f, i].item())
                scale = g[f, i].item() * 2 * cmath.sinh(lam / 2) / lam
                for n in range(T):
                    acc = 0j
                    for k in range(K):
                        if 0 <= n + k - c < T:
                            acc += cmath.exp(-lam * abs(k - c)) * u[b, f, n + k - c].item()
                    y = scale * acc
                    S[b, f, i, n] = math.log1p(math.sqrt(y.real ** 2 + y.imag ** 2 + 1e-6))
    return S


def sblu_inputs(B, Fb, T, M, K, seed):
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(B, Fb, T, generator=gen)
    alpha = torch.rand(B, Fb, M, generator=gen) * 0.5 + 1.0 / K
    omega = math.pi / 16 + (math.pi - math.pi / 16) * torch.rand(B, Fb, M, generator=gen)
    alpha[0, 0, 0] = 1.0 / K
    omega[0, 0, 0] = math.pi
    omega[-1, -1, -1] = math.pi / 16
    g = 1 + 0.2 * torch.randn(Fb, M, generator=gen)
    return u, alpha, omega, g


def main():
    # SBLU: direct loop and gradcheck, T > K and T < K
    for (T, K) in [(37, 33), (20, 33), (11, 5)]:
        u, a, w, g = sblu_inputs(2, 2, T, 3, K, seed=T * 100 + K)
        err = (sblu(u, a, w, g, K) - sblu_loop(u, a, w, g, K)).abs().max().item()
        check(f"SBLU == direct complex loop (T={T}, K={K})", err < 1e-12, f"max abs err {err:.2e}")
        ins = [t.clone().requires_grad_(True) for t in (u, a, w, g)]
        ok = gradcheck(lambda u_, a_, w_, g_: sblu(u_, a_, w_, g_, K), ins, eps=1e-6, atol=1e-7, rtol=1e-6)
        check(f"SBLU gradcheck du, dalpha, domega, dg (T={T}, K={K})", ok)

    # AaPE (standard + alias + fusion + pos): gradcheck w.r.t. X and every parameter
    cfg = AaspConfig(D=8, depth=0, heads=1, M=2, K=9, F=32, T=32)
    enc = AaspEncoder(cfg)
    fi.init_module_(enc)
    names = [n for n, _ in enc.named_parameters() if n.startswith(("patch_embed.", "aape."))]
    x = fi.fixture_input("input.x", [2, 32, 32]).double().requires_grad_(True)
    params = [dict(enc.named_parameters())[n].detach().clone().requires_grad_(True) for n in names]

    wrapped = _EmbedOnly(enc)

    def aape_fn(x_, *ps):
        return stateless.functional_call(wrapped, {"m." + n: p for n, p in zip(names, ps)}, (x_,))

    ok = gradcheck(aape_fn, [x] + params, eps=1e-6, atol=1e-6, rtol=1e-5)
    check(f"AaPE gradcheck w.r.t. X and {len(names)} parameters (D=8, M=2, K=9, F=T=32)", ok)

    # InfoNCE vs a loop
    gen = torch.Generator().manual_seed(7)
    for (B, Mm) in [(2, 4), (3, 2), (1, 3)]:
        e = torch.nn.functional.normalize(torch.randn(B * Mm, 16, generator=gen), dim=-1)
        tau = 0.1
        losses = []
        for a in range(B * Mm):
            den = sum(math.exp(float(e[a] @ e[k]) / tau) for k in range(B * Mm) if k != a)
            for p in range(B * Mm):
                if p != a and p // Mm == a // Mm:
                    losses.append(-math.log(math.exp(float(e[a] @ e[p]) / tau) / den))
        ref = sum(losses) / len(losses)
        got = info_nce(e, Mm, tau).item()
        check(f"InfoNCE == loop (B={B}, M_m={Mm})", abs(ref - got) < 1e-12, f"{got:.12f} vs {ref:.12f}")

    # position embedding vs the formula
    pe = pos_embed_2d(5, 38, 192)
    d4, worst = 48, 0.0
    for tok in (0, 37, 38, 100, 189):
        p, q = divmod(tok, 38)
        for d in range(d4):
            wd = 10000 ** (-d / d4)
            ref = [math.sin(q * wd), math.cos(q * wd), math.sin(p * wd), math.cos(p * wd)]
            worst = max(worst, max(abs(pe[tok, j * d4 + d].item() - ref[j]) for j in range(4)))
    check("2-D sin-cos position embedding == formula", worst < 1e-12, f"max err {worst:.1e}")

    # leak-free masking: changing masked cells does not change the student's visible outputs
    cfg = AaspConfig(D=16, depth=1, heads=2, Dp=16, pred_depth=1, pred_heads=2, M=2, K=33, F=32, T=64)
    model = AaSP(cfg)
    fi.init_module_(model)
    model.copy_teacher_()
    N = 2 * 4
    vis, msk = random_masks(2, 2, N, 0.7, torch.Generator().manual_seed(3))
    x = fi.fixture_input("input.x", [2, 32, 64]).double()
    noise = masked_input(torch.ones_like(x), msk, 16)          # 1 on visible cells, per (b, j)
    v1 = student_visible(model, x, vis, msk)
    x2 = x + 5.0 * torch.randn_like(x)
    diff = 0.0
    for j in range(2):      # perturb only cells masked in mask j of each clip, compare that mask's outputs
        keep = noise.reshape(2, 2, 32, 64)[:, j]
        xj = x * keep + x2 * (1 - keep)
        v2 = student_visible(model, xj, vis, msk).reshape(2, 2, -1, cfg.D)[:, j]
        diff = max(diff, (v2 - v1.reshape(2, 2, -1, cfg.D)[:, j]).abs().max().item())
    check("leak-free: masked cells do not reach visible outputs", diff < 1e-12, f"max change {diff:.1e}")
    leaky = model.encode(torch.gather(model.embed(xj.repeat_interleave(2, 0)), 1,
                                      vis.reshape(4, -1, 1).expand(4, vis.shape[-1], cfg.D)))
    ctrl = (leaky - model.encode(torch.gather(model.embed(x.repeat_interleave(2, 0)), 1,
                                              vis.reshape(4, -1, 1).expand(4, vis.shape[-1], cfg.D)))).abs().max().item()
    check("control: without the masking the same perturbation does leak", ctrl > 1e-6, f"max change {ctrl:.1e}")

    # AdamW (+ decay groups) vs torch.optim.AdamW
    named = model.student_named_params()
    flags = decay_flags(model)
    ps = [p.detach().clone() for _, p in named]
    grads = [torch.randn_like(p) for p in ps]
    ref = [p.clone().requires_grad_(True) for p in ps]
    opt = torch.optim.AdamW([{"params": [r for (n, _), r in zip(named, ref) if flags[n]], "weight_decay": 0.05},
                             {"params": [r for (n, _), r in zip(named, ref) if not flags[n]], "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    state, mine = {}, [(n, p.clone()) for (n, _), p in zip(named, ps)]
    for s in range(3):
        for r, gr in zip(ref, grads):
            r.grad = gr * (s + 1)
        opt.step()
        adamw_step_(mine, [gr * (s + 1) for gr in grads], state, 1e-3, s, cfg, flags)
    err = max((a - b[1]).abs().max().item() for a, b in zip(ref, mine))
    ndec = sum(flags.values())
    check(f"AdamW == torch.optim.AdamW over 3 steps ({ndec} decayed tensors)", err < 1e-15, f"max err {err:.1e}")

    # golden files round trip
    t, meta = st.load(os.path.join(HERE, "..", "fixtures", "golden", "tiny_step.safetensors"))
    check("tiny_step.safetensors loads", "loss" in t and "config" in meta, f"{len(t)} tensors")
    print(f"{sum(results)}/{len(results)} checks passed")


class _EmbedOnly(torch.nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.m = enc

    def forward(self, x):
        return self.m.embed(x)


if __name__ == "__main__":
    main()
