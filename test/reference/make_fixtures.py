"""Generate the golden fixtures in test/fixtures/golden/ (see its README.md for every tensor).

Run:  /usr/bin/python3 test/reference/make_fixtures.py     (CPU, float64, about a minute)
Values are computed in float64 from float32 fixture-init parameters/inputs and stored as float32
(scalars as float64, index lists as int32).
"""
import json
import math
import os

import numpy as np
import torch

import fixture_init as fi
import safetensors_io as st
from aasp_ref import AaspConfig, AaspEncoder, sblu, pos_embed_2d, patchify_conv
from aasp_ssl import AaSP, random_masks, masked_input, train_step

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "golden")
torch.set_default_dtype(torch.float64)


def f32(name, shape, center, scale):
    return torch.from_numpy(fi.fixture_values(name, int(np.prod(shape)), center, scale).reshape(shape)).double()


def scalar(v):
    return torch.tensor([float(v)], dtype=torch.float64)


# ---------------------------------------------------------------------------------- fixture-init sample
def make_fixture_init_sample():
    names = ["input.x", "patch_embed.proj.weight", "aape.sblu.gain", "", "ünïcode.名前"]
    t, meta = {}, {}
    for n in names:
        t[f"hash.{n}"] = torch.tensor([fi.name_hash(n)], dtype=torch.float64)
    combos = {"input.x": (0.0, 2.0), "aape.sblu.gain": (1.0, 0.2), "blocks.0.norm1.bias": (0.0, 0.05),
              "ünïcode.名前": (0.5, 3.0), "aape.lambda_enc.band_bias": (fi.BAND_A_CENTER, 0.5)}
    for n, (c, s) in combos.items():
        t[f"values.{n}"] = fi.fixture_values(n, 64, c, s)
        meta[f"values.{n}"] = [c, s]
    small = {"aape.lambda_enc.band_bias": [80, 8], "aape.sblu.gain": [80, 4], "predictor.mask_token": [128],
             "blocks.0.norm1.weight": [192], "blocks.0.norm1.bias": [192], "aape.fuse_norm.bias": [192],
             "blocks.0.attn.qkv.bias": [576], "aape.lambda_enc.conv1.weight": [16, 1, 9],
             "aape.lambda_enc.conv2.weight": [16, 16, 9], "aape.lambda_enc.head.weight": [8, 32],
             "predictor.blocks.0.norm_kv.weight": [128], "teacher.blocks.0.norm2.bias": [192],
             "aape.fuse.weight": [192, 192], "predictor.blocks.1.xattn.kv.bias": [256]}
    for n, shape in small.items():
        t[f"param.{n}"] = fi.fixture_param(n, shape)
    count, stride = 5_000_000, 99_991      # large flat indices (i·2654435761 far beyond 2^53 / 2^32)
    idx = np.arange(0, count, stride)
    t["stress.idx"] = idx.astype(np.int32)
    t["stress.val"] = fi.fixture_values("stress", count, 0.0, 1.0)[idx]
    meta.update(stress=json.dumps({"name": "stress", "count": count, "center": 0.0, "scale": 1.0}))
    meta = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in meta.items()}
    st.save(os.path.join(OUT, "fixture_init_sample.safetensors"), t, meta, f64=[k for k in t if k.startswith("hash.")])


# ------------------------------------------------------------------------------------------------ SBLU
def sblu_case(prefix, B, Fb, T, M, K):
    u = f32(f"{prefix}.u", [B, Fb, T], 0.0, 2.0)
    alpha = f32(f"{prefix}.alpha", [B, Fb, M], 0.3, 0.25)
    lo, hi = math.pi / 16, math.pi
    omega = f32(f"{prefix}.omega", [B, Fb, M], (lo + hi) / 2, (hi - lo) / 2 * 0.999)
    g = f32(f"{prefix}.g", [Fb, M], 1.0, 0.2)
    r = f32(f"{prefix}.r", [B, Fb, M, T], 0.0, 1.0)
    floor32 = float(np.float32(1.0 / K))
    alpha[0, 0, 0] = alpha[1, 2, 3] = alpha[1, 0, 0] = floor32         # α at its floor 1/K (float32)
    omega[0, 0, 1] = omega[1, 1, 0] = float(np.float32(lo))            # ω at π/16 (float32)
    omega[0, 1, 2] = omega[1, 0, 0] = float(np.float32(hi))            # ω at π (float32); (1,0,0) both
    inputs = dict(u=u, alpha=alpha, omega=omega, g=g, r=r)
    leaves = {k: v.clone().requires_grad_(k != "r") for k, v in inputs.items()}
    S = sblu(leaves["u"], leaves["alpha"], leaves["omega"], leaves["g"], K)
    grads = torch.autograd.grad((S * leaves["r"]).sum(), [leaves[k] for k in ("u", "alpha", "omega", "g")])
    out = {f"{prefix}.{k}": v for k, v in inputs.items()}
    out[f"{prefix}.S"] = S.detach()
    for k, gr in zip(("u", "alpha", "omega", "g"), grads):
        out[f"{prefix}.grad_{k}"] = gr
    return out


def make_sblu():
    t = {}
    t.update(sblu_case("case1", 2, 3, 37, 4, 33))
    t.update(sblu_case("case2", 2, 3, 20, 4, 33))
    meta = {"case1": json.dumps(dict(B=2, F=3, T=37, M=4, K=33)), "case2": json.dumps(dict(B=2, F=3, T=20, M=4, K=33)),
            "loss": "L = sum(S * r)"}
    st.save(os.path.join(OUT, "sblu.safetensors"), t, meta)


# ------------------------------------------------------------------------------------------------ AaPE
def make_aape():
    cfg = AaspConfig(D=32, depth=0, heads=1, M=4, K=33, F=80, T=64)
    enc = AaspEncoder(cfg)
    fi.init_module_(enc)
    enc.double()
    B, N = 2, 20
    x = fi.fixture_input("input.x", [B, cfg.F, cfg.T]).double()
    r = f32("input.r", [B, N, cfg.D], 0.0, 1.0)
    params = [(n, p) for n, p in enc.named_parameters() if n.startswith(("patch_embed.", "aape."))]
    t = {n: p.detach().clone() for n, p in params}
    t.update(x=x, r=r)
    xl = x.clone().requires_grad_(True)
    z = enc.embed(xl)
    grads = torch.autograd.grad((z * r).sum(), [xl] + [p for _, p in params])
    t["z"] = z.detach()
    t["grad.x"] = grads[0]
    for (n, _), g in zip(params, grads[1:]):
        t[f"grad.{n}"] = g
    with torch.no_grad():                                       # intermediates
        alpha, omega, S = enc.aape.features(x)
        t.update({"mid.alpha": alpha, "mid.omega": omega, "mid.S": S, "mid.z_std": enc.patch_embed(x),
                  "mid.z_alias": patchify_conv(enc.aape.patch, S.permute(0, 2, 1, 3)),
                  "mid.pos": pos_embed_2d(5, 4, cfg.D)})
    # AaPE off: standard patch embedding + pos only (same patch_embed weights)
    xl = x.clone().requires_grad_(True)
    pe = enc.patch_embed.proj
    z_off = enc.patch_embed(xl) + pos_embed_2d(5, 4, cfg.D)
    g_off = torch.autograd.grad((z_off * r).sum(), [xl, pe.weight, pe.bias])
    t.update({"off.z": z_off.detach(), "off.grad.x": g_off[0], "off.grad.patch_embed.proj.weight": g_off[1],
              "off.grad.patch_embed.proj.bias": g_off[2]})
    # leak-free student AaPE for one mask per clip (14 of 20 tokens masked, 6 visible)
    gen = torch.Generator().manual_seed(1234)
    vis, msk = random_masks(B, 1, N, 0.7, gen)
    xl = x.clone().requires_grad_(True)
    zm = enc.embed(xl, masked_input(xl, msk, cfg.patch))
    zv = torch.gather(zm, 1, vis.reshape(B, -1, 1).expand(B, vis.shape[-1], cfg.D))
    rv = f32("input.r_masked", list(zv.shape), 0.0, 1.0)
    gm = torch.autograd.grad((zv * rv).sum(), [xl, enc.aape.sblu.gain, enc.aape.lambda_enc.band_bias])
    t.update({"masked.vis_idx": vis, "masked.mask_idx": msk, "masked.r": rv, "masked.z_vis": zv.detach(),
              "masked.grad.x": gm[0], "masked.grad.aape.sblu.gain": gm[1],
              "masked.grad.aape.lambda_enc.band_bias": gm[2]})
    meta = {"config": json.dumps(dict(B=B, F=80, T=64, D=32, M=4, K=33, patch=16, N=N)),
            "loss": "L = sum(z * r); masked: L = sum(masked.z_vis * masked.r)"}
    st.save(os.path.join(OUT, "aape.safetensors"), t, meta)


# ------------------------------------------------------------------------------------------- tiny step
SMALL = ["aape.sblu.gain", "aape.lambda_enc.band_bias", "aape.lambda_enc.head.weight", "aape.fuse.bias",
         "predictor.mask_token", "proj.fc2.bias", "norm.weight", "blocks.0.attn.qkv.weight",
         "aape.lambda_enc.conv1.weight"]


def tiny_selection(model):
    names = [n for n, _ in model.student_named_params()
             if (n.startswith("blocks.0.") or n.startswith("predictor.blocks.0.")) and
             (n.endswith(".bias") or "norm" in n)]
    return names + [n for n in SMALL if n not in names]


def make_tiny_step():
    cfg = AaspConfig()                          # tiny defaults: D 192, depth 4, heads 3, Dp 128, ...
    B, N = 2, 190
    model = AaSP(cfg)
    fi.init_module_(model)
    model.copy_teacher_()
    model.double()
    x = fi.fixture_input("input.x", [B, cfg.F, cfg.T]).double()
    gen = torch.Generator().manual_seed(20240607)
    vis, msk = random_masks(B, cfg.n_masks, N, cfg.mask_ratio, gen)
    sel = tiny_selection(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with torch.no_grad():
        y = model.teacher(x)                    # teacher output after `norm`, before standardisation
    out = train_step(model, x, vis, msk, 0, {})
    params = dict(model.named_parameters())
    tgt = out["target"]
    t = {"x": x, "vis_idx": vis, "mask_idx": msk,
         "loss": scalar(out["L"]), "loss_pred": scalar(out["L_pred"]), "loss_con": scalar(out["L_con"]),
         "grad_norm": scalar(out["grad_norm"]), "clip_scale": scalar(out["clip_scale"]),
         "lr": scalar(out["lr"]), "ema_tau": scalar(out["ema_tau"]),
         "target_std": scalar(tgt.std(unbiased=False)),
         "teacher_out_std": scalar(y.std(unbiased=False)),
         "target_token_std": scalar(tgt.reshape(-1, cfg.D).std(dim=0, unbiased=False).mean()),
         "debug.V00": out["V"][0], "debug.target0": tgt[0], "debug.P00": out["P"][0],
         "debug.emb": out["emb"]}
    for n in sel:
        t[f"grad.{n}"] = out["grads"][n]
        t[f"after.{n}"] = params[n].detach()
        t[f"delta.{n}"] = params[n].detach() - before[n]          # exact float64 difference, then f32
        if f"teacher.{n}" in params:
            t[f"after.teacher.{n}"] = params[f"teacher.{n}"].detach()
    meta = {"config": json.dumps(cfg.as_dict()), "B": "2", "step": "0", "mask_seed": "20240607",
            "selection": json.dumps(sel)}
    f64 = [k for k, v in t.items() if v.numel() == 1]
    st.save(os.path.join(OUT, "tiny_step.safetensors"), t, meta, f64=f64)
    return out


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_fixture_init_sample()
    make_sblu()
    make_aape()
    out = make_tiny_step()
    print("tiny step: L %.10f L_pred %.10f L_con %.10f grad_norm %.6f clip %.6f" % (
        out["L"].item(), out["L_pred"].item(), out["L_con"].item(), out["grad_norm"], out["clip_scale"]))
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))
