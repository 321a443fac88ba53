"""PyTorch reference implementation of AaSP (docs/model.md, sections 3, 4 and 5).
This file: the modules (AaPE with SBLU, encoder, predictor, projection head). aasp_ssl.py: masking, the
teacher, the losses, AdamW, the LR schedule, clipping and the EMA (section 5).

Written for clarity, not speed: the SBLU materialises its taps; everything runs in whatever dtype the
module has (the golden fixtures use float64 via model.double()).

Interpretations of the spec (the TypeScript engine must match these):
 1. Every GELU (Lambda Encoder, encoder/predictor MLPs, projection head) is the exact erf GELU.
 2. softplus(x) = ln(1 + e^x) (torch's threshold at 20 never triggers for the fixtures).
 3. Lambda Encoder pooling: over the conv2 output length T2 = floor((T - 1) / 2) + 1; std =
    sqrt(population var + 1e-5); feature = [16 means, 16 stds]. Head output o[:, :M] = a, o[:, M:] = w,
    then + band_bias[f] (same split).
 4. SBLU: centre c = K // 2, taps h[k] = exp(-Λ|k - c|) for k = 0..K-1, y[n] = g·C·Σ_k h[k]·u[n + k - c]
    (cross-correlation, u zero outside [0, T)), C = 2 sinh(Λ/2)/Λ evaluated in complex arithmetic:
    sinh(α/2 + jω/2) = sinh(α/2)cos(ω/2) + j cosh(α/2)sin(ω/2), then divided by α + jω.
    S = log1p(sqrt(Re² + Im² + 1e-6)). Works for T < K (the taps simply overhang the zero padding).
 5. S [B, F, M, T] → permute to [B, M, F, T] (channel i = mode i) → `aape.patch`.
 6. Position embedding: for d in 0..d4-1, ω_d = 10000^(-d/d4) (float64 here); token (p, q):
    [sin(q ω), cos(q ω), sin(p ω), cos(p ω)] blocks of d4 dims each. pos_Dp (predictor) is the same
    formula with D = Dp on the same (F', T') grid.
 7. AaPE off: Z = Z_std + pos (there is no `aape.*` parameter at all).
 8. Leak-free student AaPE: for each mask the alias branch input is X with the cells
    [16p, 16p+16) × [16q, 16q+16) of every masked token t = p·T' + q set to 0; the Lambda Encoder pools
    over the full length T, zeros included. The standard branch uses the unmasked X (it is per patch, so
    identical for visible tokens). The fused tokens (+ pos) are gathered at the visible indices in the
    order of the given (ascending) index list.
 9. Teacher: its own AaPE on the unmasked X, all N tokens, blocks, `norm`; target = LayerNorm without
    affine (eps 1e-6) of that. L_t > 1 (not used by fixtures): the mean over the last L_t blocks of
    `norm`(block output), then standardised.
10. Predictor: kv0 = embed(V) + pos_Dp[visible] is fixed across blocks (each block applies its own
    `norm_kv` to kv0); queries start as mask_token + pos_Dp[masked] (masked index order). In `xattn`,
    k = first Dp outputs of `xattn.kv`, v = last Dp; heads split dims as in the encoder.
11. cos(P, T) = <P / max(|P|, 1e-8), T / max(|T|, 1e-8)>; L_pred = mean over B·M_m·n_masked tokens of
    2 - 2 cos.
12. Contrastive: g = mean over the n_v rows of V (the student output after `norm`, the same V the
    predictor gets); e = normalize(fc2(GELU(fc1(g)))) with max(|x|, 1e-8); embedding index a = b·M_m + j;
    s_ak = e_a·e_k / τ; for each (anchor a, positive p), loss = -(s_ap - log Σ_{k≠a} exp s_ak) (positives
    and negatives are both in the denominator, only self is excluded); L_con = mean over all
    B·M_m·(M_m-1) pairs.
13. Clipping: global norm over the gradients of every student parameter (AaPE, encoder, predictor,
    proj); all gradients are multiplied by min(1, clip / (norm + 1e-6)) before AdamW.
14. AdamW (torch semantics, t = s + 1): m ← β1 m + (1-β1) g; v ← β2 v + (1-β2) g²;
    p ← p·(1 - lr·wd) - lr·(m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε); wd = 0.05 only for the `weight` of
    nn.Linear / nn.Conv1d / nn.Conv2d modules (decided by module type, see decay_flags).
15. EMA after the update: teacher ← τ_e·teacher + (1-τ_e)·student(updated), τ_e = τ0 + (τ1-τ0)·s/S.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

LN_EPS = 1e-6


@dataclass
class AaspConfig:
    D: int = 192
    depth: int = 4
    heads: int = 3
    Dp: int = 128
    pred_depth: int = 2
    pred_heads: int = 4
    M: int = 4            # SBLU modes
    K: int = 33           # SBLU kernel length
    F: int = 80
    T: int = 608
    patch: int = 16
    aape: bool = True
    n_masks: int = 4
    mask_ratio: float = 0.7
    lam: float = 0.5      # contrastive weight λ (0 = off)
    tau: float = 0.1      # InfoNCE temperature
    proj_dim: int = 256
    L_t: int = 1
    lr_peak: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.95
    adam_eps: float = 1e-8
    wd: float = 0.05
    clip: float = 3.0
    ema0: float = 0.99
    ema1: float = 0.999
    total_steps: int = 10

    @property
    def grid(self):
        return self.F // self.patch, self.T // self.patch

    def as_dict(self):
        return asdict(self)


def n_masked(n_tokens, ratio):
    return int(math.floor(ratio * n_tokens + 0.5))


# ----------------------------------------------------------------------------------- position embedding
def pos_embed_2d(fp, tp, dim, dtype=torch.float64):
    """[fp*tp, dim] fixed 2-D sin-cos embedding, token index p*tp + q."""
    d4 = dim // 4
    omega = 10000.0 ** (-torch.arange(d4, dtype=torch.float64) / d4)
    p = torch.arange(fp, dtype=torch.float64).repeat_interleave(tp)   # row of token
    q = torch.arange(tp, dtype=torch.float64).repeat(fp)              # column of token
    aq, ap = q[:, None] * omega, p[:, None] * omega
    return torch.cat([aq.sin(), aq.cos(), ap.sin(), ap.cos()], dim=1).to(dtype)


# ----------------------------------------------------------------------------------------------- SBLU
def sblu_coeffs(alpha, omega, K):
    """Materialised taps (Re, Im) [..., K] of exp(-Λ|k-c|) and the complex scale C = 2 sinh(Λ/2)/Λ."""
    c = K // 2
    m = (torch.arange(K, dtype=alpha.dtype) - c).abs()
    env = torch.exp(-alpha[..., None] * m)
    h_re = env * torch.cos(omega[..., None] * m)
    h_im = -env * torch.sin(omega[..., None] * m)
    sh_re = torch.sinh(alpha / 2) * torch.cos(omega / 2)
    sh_im = torch.cosh(alpha / 2) * torch.sin(omega / 2)
    den = alpha * alpha + omega * omega
    c_re = 2 * (sh_re * alpha + sh_im * omega) / den
    c_im = 2 * (sh_im * alpha - sh_re * omega) / den
    return h_re, h_im, c_re, c_im


def sblu(u, alpha, omega, gain, K):
    """u [B,F,T], alpha/omega [B,F,M], gain [F,M] -> S [B,F,M,T] (spec 3.3)."""
    c = K // 2
    h_re, h_im, c_re, c_im = sblu_coeffs(alpha, omega, K)
    win = F.pad(u, (c, c)).unfold(-1, K, 1)                   # [B,F,T,K]: win[..,n,k] = u[n+k-c]
    z_re = torch.einsum("bftk,bfmk->bfmt", win, h_re)
    z_im = torch.einsum("bftk,bfmk->bfmt", win, h_im)
    s_re = (gain * c_re)[..., None]
    s_im = (gain * c_im)[..., None]
    y_re = s_re * z_re - s_im * z_im
    y_im = s_re * z_im + s_im * z_re
    return torch.log1p(torch.sqrt(y_re * y_re + y_im * y_im + 1e-6))


# ----------------------------------------------------------------------------------------------- AaPE
class LambdaEncoder(nn.Module):
    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.M, self.K = cfg.M, cfg.K
        self.conv1 = nn.Conv1d(1, 16, 9, padding=4)
        self.conv2 = nn.Conv1d(16, 16, 9, stride=2, padding=4)
        self.head = nn.Linear(32, 2 * cfg.M)
        self.band_bias = nn.Parameter(torch.zeros(cfg.F, 2 * cfg.M))

    def forward(self, x):
        B, Fb, T = x.shape
        h = F.gelu(self.conv1(x.reshape(B * Fb, 1, T)))
        h = F.gelu(self.conv2(h))
        mu = h.mean(-1)
        sd = torch.sqrt(h.var(-1, unbiased=False) + 1e-5)
        o = self.head(torch.cat([mu, sd], dim=-1)).reshape(B, Fb, 2 * self.M) + self.band_bias
        alpha = F.softplus(o[..., :self.M]) + 1.0 / self.K
        lo, hi = math.pi / 16, math.pi
        omega = lo + (hi - lo) * torch.sigmoid(o[..., self.M:])
        return alpha, omega


class SBLU(nn.Module):
    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.K = cfg.K
        self.gain = nn.Parameter(torch.ones(cfg.F, cfg.M))

    def forward(self, u, alpha, omega):
        return sblu(u, alpha, omega, self.gain, self.K)


def patchify_conv(conv, x):
    """Conv2d with stride=kernel on x [B, C, F, T] -> tokens [B, N, D] in row-major (p, q) order."""
    return conv(x).flatten(2).transpose(1, 2)


class AaPE(nn.Module):
    """The alias branch + fusion (3.2-3.4). The standard branch `patch_embed.proj` lives in the encoder."""

    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.lambda_enc = LambdaEncoder(cfg)
        self.sblu = SBLU(cfg)
        self.patch = nn.Conv2d(cfg.M, cfg.D, cfg.patch, stride=cfg.patch)
        self.fuse_norm = nn.LayerNorm(cfg.D, eps=LN_EPS)
        self.fuse = nn.Linear(cfg.D, cfg.D)

    def features(self, x):
        """Return alpha, omega [B,F,M] and S [B,F,M,T] (for debugging fixtures)."""
        alpha, omega = self.lambda_enc(x)
        return alpha, omega, self.sblu(x, alpha, omega)

    def forward(self, x):
        """x [B,F,T] -> fusion term fuse(LN(Z_alias)) [B,N,D]."""
        _, _, S = self.features(x)
        z_alias = patchify_conv(self.patch, S.permute(0, 2, 1, 3))
        return self.fuse(self.fuse_norm(z_alias))


# -------------------------------------------------------------------------------------------- encoder
def attention(q, k, v, heads):
    """q [B,Nq,Dm], k/v [B,Nk,Dm] -> [B,Nq,Dm]; head h uses dims [h*dh, (h+1)*dh)."""
    B, Nq, Dm = q.shape
    dh = Dm // heads
    q = q.reshape(B, Nq, heads, dh).transpose(1, 2)
    k = k.reshape(B, -1, heads, dh).transpose(1, 2)
    v = v.reshape(B, -1, heads, dh).transpose(1, 2)
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
    return (a @ v).transpose(1, 2).reshape(B, Nq, Dm)


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.proj(attention(q, k, v, self.heads))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.proj = nn.Conv2d(1, cfg.D, cfg.patch, stride=cfg.patch)

    def forward(self, x):
        return patchify_conv(self.proj, x[:, None])


class AaspEncoder(nn.Module):
    """patch_embed + aape + blocks + norm: the part that has a teacher copy."""

    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg)
        self.aape = AaPE(cfg) if cfg.aape else None
        self.blocks = nn.ModuleList([Block(cfg.D, cfg.heads) for _ in range(cfg.depth)])
        self.norm = nn.LayerNorm(cfg.D, eps=LN_EPS)

    def embed(self, x, x_alias=None):
        """Fused tokens + pos [B,N,D]. x_alias (default x) feeds the alias branch (leak-free masking)."""
        fp, tp = x.shape[1] // self.cfg.patch, x.shape[2] // self.cfg.patch
        z = self.patch_embed(x)
        if self.aape is not None:
            z = z + self.aape(x if x_alias is None else x_alias)
        return z + pos_embed_2d(fp, tp, self.cfg.D, z.dtype)

    def encode(self, z, return_blocks=False):
        outs = []
        for blk in self.blocks:
            z = blk(z)
            outs.append(z)
        return (self.norm(z), outs) if return_blocks else self.norm(z)

    def forward(self, x):
        return self.encode(self.embed(x))


# ---------------------------------------------------------------------------------- predictor, proj
class CrossAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, q, kv):
        k, v = self.kv(kv).chunk(2, dim=-1)
        return self.proj(attention(self.q(q), k, v, self.heads))


class PredictorBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm_q = nn.LayerNorm(dim, eps=LN_EPS)
        self.norm_kv = nn.LayerNorm(dim, eps=LN_EPS)
        self.xattn = CrossAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim)

    def forward(self, q, kv):
        q = q + self.xattn(self.norm_q(q), self.norm_kv(kv))
        return q + self.mlp(self.norm2(q))


class Predictor(nn.Module):
    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Linear(cfg.D, cfg.Dp)
        self.mask_token = nn.Parameter(torch.zeros(cfg.Dp))
        self.blocks = nn.ModuleList([PredictorBlock(cfg.Dp, cfg.pred_heads) for _ in range(cfg.pred_depth)])
        self.norm = nn.LayerNorm(cfg.Dp, eps=LN_EPS)
        self.head = nn.Linear(cfg.Dp, cfg.D)

    def forward(self, v, vis_idx, mask_idx):
        """v [G, n_v, D], vis_idx [G, n_v], mask_idx [G, n_m] (long) -> P [G, n_m, D]."""
        pos = pos_embed_2d(*self.cfg.grid, self.cfg.Dp, v.dtype)
        kv = self.embed(v) + pos[vis_idx]
        q = self.mask_token + pos[mask_idx]
        for blk in self.blocks:
            q = blk(q, kv)
        return self.head(self.norm(q))


class ProjHead(nn.Module):
    def __init__(self, cfg: AaspConfig):
        super().__init__()
        self.fc1 = nn.Linear(cfg.D, 2 * cfg.D)
        self.fc2 = nn.Linear(2 * cfg.D, cfg.proj_dim)

    def forward(self, g):
        return l2_normalize(self.fc2(F.gelu(self.fc1(g))))


def l2_normalize(x):
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-8)


@torch.no_grad()
def spec_init_(model):
    """The spec's initialisation (sections 3.2, 3.4, 4, 5.9); the golden fixtures use fixture_init instead.
    PyTorch-default (kaiming-uniform a=√5) Lambda Encoder convs are left as constructed, biases zeroed."""
    for _, mod in model.named_modules():      # generic, by module type
        if isinstance(mod, nn.Linear):
            nn.init.trunc_normal_(mod.weight, std=0.02, a=-0.04, b=0.04)
            nn.init.zeros_(mod.bias)
        elif isinstance(mod, nn.LayerNorm):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)
        elif isinstance(mod, nn.Conv2d):     # patch_embed.proj, aape.patch: xavier over the flat kernel
            nn.init.xavier_uniform_(mod.weight.view(mod.weight.shape[0], -1))
            nn.init.zeros_(mod.bias)
        elif isinstance(mod, nn.Conv1d):
            nn.init.zeros_(mod.bias)
    for _, mod in model.named_modules():      # then the module-specific overrides
        if isinstance(mod, LambdaEncoder):
            nn.init.normal_(mod.head.weight, std=0.02)
            nn.init.zeros_(mod.head.bias)
            M = mod.M
            mod.band_bias[:, :M] = math.log(math.expm1(0.1))
            i = torch.arange(M, dtype=torch.float64)
            p = (i + 0.5) / M
            mod.band_bias[:, M:] = torch.log(p / (1 - p)).to(mod.band_bias.dtype)
        elif isinstance(mod, SBLU):
            nn.init.ones_(mod.gain)
        elif isinstance(mod, AaPE):
            nn.init.zeros_(mod.fuse.weight)
            nn.init.zeros_(mod.fuse.bias)
        elif isinstance(mod, Predictor):
            nn.init.normal_(mod.mask_token, std=0.02)
