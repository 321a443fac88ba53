"""Section 5 of docs/model.md: the self-supervised training step (see aasp_ref.py's docstring for
every interpretation of the spec). Masks are given as explicit index tensors:
vis_idx [B, M_m, n_v] and mask_idx [B, M_m, n_m] (long, each row ascending); group g = b·M_m + j.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from aasp_ref import AaspConfig, AaspEncoder, Predictor, ProjHead, l2_normalize, LN_EPS, n_masked


class AaSP(AaspEncoder):
    """Student AaPE/encoder under bare names, `predictor.`, `proj.`, and the teacher under `teacher.`."""

    def __init__(self, cfg: AaspConfig):
        super().__init__(cfg)
        self.predictor = Predictor(cfg)
        self.proj = ProjHead(cfg)
        self.teacher = AaspEncoder(cfg)
        self.teacher.requires_grad_(False)

    def student_named_params(self):
        return [(n, p) for n, p in self.named_parameters() if not n.startswith("teacher.")]

    @torch.no_grad()
    def copy_teacher_(self):
        student = dict(self.named_parameters())
        for n, p in self.teacher.named_parameters():
            p.copy_(student[n])


# ------------------------------------------------------------------------------------------- masking
def random_masks(B, n_masks, N, ratio, generator):
    """torch.randperm per (clip, mask): masked = sorted(perm[:n_m]), visible = sorted(perm[n_m:])."""
    nm = n_masked(N, ratio)
    vis, msk = [], []
    for _ in range(B * n_masks):
        perm = torch.randperm(N, generator=generator)
        msk.append(perm[:nm].sort().values)
        vis.append(perm[nm:].sort().values)
    return torch.stack(vis).reshape(B, n_masks, -1), torch.stack(msk).reshape(B, n_masks, -1)


def masked_input(x, mask_idx, patch):
    """x [B,F,T], mask_idx [B,M_m,n_m] -> [B·M_m, F, T] with every masked patch's cells set to 0."""
    B, Fb, T = x.shape
    assert Fb % patch == 0 and T % patch == 0
    G = B * mask_idx.shape[1]
    fp, tp = Fb // patch, T // patch
    keep = torch.ones(G, fp * tp, dtype=x.dtype)
    keep.scatter_(1, mask_idx.reshape(G, -1), 0.0)
    cells = keep.reshape(G, fp, tp).repeat_interleave(patch, 1).repeat_interleave(patch, 2)
    return x.repeat_interleave(mask_idx.shape[1], 0) * cells


def student_visible(model, x, vis_idx, mask_idx):
    """Leak-free student: per mask, AaPE (alias branch on masked X) -> visible tokens -> blocks -> norm."""
    B, Mm, nv = vis_idx.shape
    G, D = B * Mm, model.cfg.D
    xa = masked_input(x, mask_idx, model.cfg.patch) if model.aape is not None else None
    z = model.embed(x.repeat_interleave(Mm, 0), xa)                       # [G, N, D]
    z = torch.gather(z, 1, vis_idx.reshape(G, nv, 1).expand(G, nv, D))
    return model.encode(z)                                                # V [G, n_v, D]


@torch.no_grad()
def teacher_targets(teacher, x, L_t=1):
    out, blocks = teacher.encode(teacher.embed(x), return_blocks=True)
    y = out if L_t == 1 else torch.stack([teacher.norm(b) for b in blocks[-L_t:]]).mean(0)
    return F.layer_norm(y, (y.shape[-1],), eps=LN_EPS)


# -------------------------------------------------------------------------------------------- losses
def prediction_loss(P, target, mask_idx):
    """P [G, n_m, D], target [B, N, D] -> mean over all masked tokens of 2 - 2 cos."""
    B, Mm, nm = mask_idx.shape
    G, D = B * Mm, target.shape[-1]
    t = torch.gather(target.repeat_interleave(Mm, 0), 1, mask_idx.reshape(G, nm, 1).expand(G, nm, D))
    cos = (l2_normalize(P) * l2_normalize(t)).sum(-1)
    return (2 - 2 * cos).mean()


def info_nce(e, n_masks, tau):
    """e [B·M_m, d] unit rows, index b·M_m + j. Positives: same clip, other mask; self excluded."""
    n = e.shape[0]
    s = e @ e.T / tau
    eye = torch.eye(n, dtype=torch.bool)
    log_z = torch.logsumexp(s.masked_fill(eye, float("-inf")), dim=1, keepdim=True)
    clip = torch.arange(n) // n_masks
    pos = (clip[:, None] == clip[None, :]) & ~eye
    return -(s - log_z)[pos].mean()


def forward_losses(model, x, vis_idx, mask_idx):
    cfg = model.cfg
    B, Mm, _ = vis_idx.shape
    G = B * Mm
    target = teacher_targets(model.teacher, x, cfg.L_t)
    V = student_visible(model, x, vis_idx, mask_idx)
    P = model.predictor(V, vis_idx.reshape(G, -1), mask_idx.reshape(G, -1))
    L_pred = prediction_loss(P, target, mask_idx)
    emb = None
    L_con = torch.zeros((), dtype=x.dtype)
    if cfg.lam > 0:
        emb = model.proj(V.mean(dim=1))
        L_con = info_nce(emb, Mm, cfg.tau)
    L = L_pred + cfg.lam * L_con
    return dict(L=L, L_pred=L_pred, L_con=L_con, V=V, P=P, target=target, emb=emb)


# ------------------------------------------------------------------------------------- optimisation
def lr_at(cfg, s):
    S = cfg.total_steps
    W = max(1, S // 10)
    if s < W:
        return cfg.lr_peak * (s + 1) / W
    return cfg.lr_peak * 0.5 * (1 + math.cos(math.pi * (s - W) / (S - W)))


def ema_tau_at(cfg, s):
    return cfg.ema0 + (cfg.ema1 - cfg.ema0) * s / cfg.total_steps


def decay_flags(model):
    """{param name: True} for the weights of Linear/Conv modules of the student (by module type)."""
    flags = {n: False for n, _ in model.student_named_params()}
    for mname, mod in model.named_modules():
        if isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d)) and not mname.startswith("teacher"):
            flags[mname + ".weight"] = True
    return flags


def clip_grads_(grads, max_norm):
    norm = torch.sqrt(sum((g * g).sum() for g in grads))
    scale = min(1.0, max_norm / (norm.item() + 1e-6))
    for g in grads:
        g.mul_(scale)
    return norm.item(), scale


@torch.no_grad()
def adamw_step_(named, grads, state, lr, step, cfg, flags):
    """In-place AdamW (torch semantics). state: {name: (exp_avg, exp_avg_sq)}; step is 0-based."""
    t = step + 1
    bc1, bc2 = 1 - cfg.beta1 ** t, 1 - cfg.beta2 ** t
    for (n, p), g in zip(named, grads):
        m, v = state.setdefault(n, (torch.zeros_like(p), torch.zeros_like(p)))
        m.mul_(cfg.beta1).add_(g, alpha=1 - cfg.beta1)
        v.mul_(cfg.beta2).addcmul_(g, g, value=1 - cfg.beta2)
        if flags[n]:
            p.mul_(1 - lr * cfg.wd)
        p.sub_(lr * (m / bc1) / (torch.sqrt(v / bc2) + cfg.adam_eps))


@torch.no_grad()
def ema_update_(model, tau):
    student = dict(model.named_parameters())
    for n, p in model.teacher.named_parameters():
        p.mul_(tau).add_(student[n], alpha=1 - tau)


def train_step(model, x, vis_idx, mask_idx, step, opt_state):
    """One full step: losses, backward, clip, AdamW, EMA. Returns the forward outputs + diagnostics,
    with `grads` = {name: gradient before clipping}."""
    cfg = model.cfg
    out = forward_losses(model, x, vis_idx, mask_idx)
    named = model.student_named_params()
    grads = torch.autograd.grad(out["L"], [p for _, p in named], allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g.clone() for (_, p), g in zip(named, grads)]
    out["grads"] = {n: g.clone() for (n, _), g in zip(named, grads)}
    out["grad_norm"], out["clip_scale"] = clip_grads_(grads, cfg.clip)
    out["lr"], out["ema_tau"] = lr_at(cfg, step), ema_tau_at(cfg, step)
    adamw_step_(named, grads, opt_state, out["lr"], step, cfg, decay_flags(model))
    ema_update_(model, out["ema_tau"])
    return out
