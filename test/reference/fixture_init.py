"""Deterministic, counter-based fixture values shared bit-exactly with test/helpers/fixture-init.ts.

See FIXTURE_INIT.md for the definition and the role table. All integer arithmetic is exact mod 2^32
(numpy uint64 holds every intermediate product without overflow for any index below 6.9e9).
"""
import math

import numpy as np
import torch

MASK32 = np.uint64(0xFFFFFFFF)
# softplus^-1(0.1) = ln(e^0.1 - 1), written as a literal: libm exp/log differ by an ulp between
# platforms (glibc vs V8), the literal keeps Python and TypeScript bit-identical.
BAND_A_CENTER = -2.2521684610440906


def name_hash(name: str) -> int:
    """FNV-1a 32-bit over the UTF-8 bytes of `name`."""
    h = 2166136261
    for byte in name.encode("utf-8"):
        h ^= byte
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def fixture_uniform(name: str, count: int, start: int = 0) -> np.ndarray:
    """u_i in [-1, 1) (float64, exact) for flat indices start .. start+count-1."""
    i = np.arange(start, start + count, dtype=np.uint64)
    x = (i * np.uint64(2654435761) + np.uint64(name_hash(name))) & MASK32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x45D9F3B)) & MASK32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x45D9F3B)) & MASK32
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0 * 2.0 - 1.0


def fixture_values(name: str, count: int, center: float, scale: float, start: int = 0) -> np.ndarray:
    """float32(center + scale * u_i) (the sum is evaluated in float64, then rounded once to float32)."""
    return (center + scale * fixture_uniform(name, count, start)).astype(np.float32)


def _is_norm(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and "norm" in parts[-2]


def fixture_param(name: str, shape) -> np.ndarray:
    """Fixture value of a model parameter by role (the table in FIXTURE_INIT.md). float32 array."""
    if name.startswith("teacher."):
        name = name[len("teacher."):]   # the teacher starts as an exact copy of the student
    shape = tuple(int(s) for s in shape)
    count = int(np.prod(shape)) if shape else 1
    if name == "aape.lambda_enc.band_bias":
        m = shape[1] // 2
        col = np.arange(count) % shape[1]
        a = fixture_values(name, count, BAND_A_CENTER, 0.5)
        w = fixture_values(name, count, 0.0, 1.5)
        return np.where(col < m, a, w).reshape(shape)
    if name == "aape.sblu.gain":
        center, scale = 1.0, 0.2
    elif name == "predictor.mask_token":
        center, scale = 0.0, 0.02
    elif _is_norm(name):
        center, scale = (1.0, 0.1) if name.endswith(".weight") else (0.0, 0.05)
    elif name.endswith(".bias"):
        center, scale = 0.0, 0.02
    elif name.endswith(".weight"):
        fan_in = int(np.prod(shape[1:]))
        center, scale = 0.0, 1.0 / math.sqrt(fan_in)
    else:
        raise KeyError(f"no fixture role for parameter {name}")
    return fixture_values(name, count, center, scale).reshape(shape)


def init_module_(module: torch.nn.Module, prefix: str = "") -> None:
    """Overwrite every parameter of `module` with its fixture value (float32 values, cast to its dtype)."""
    with torch.no_grad():
        for n, p in module.named_parameters():
            v = fixture_param(prefix + n, p.shape)
            p.copy_(torch.from_numpy(v).to(p.dtype))


def fixture_input(name: str, shape, center: float = 0.0, scale: float = 2.0) -> torch.Tensor:
    """An input tensor ("input.x": center 0, scale 2), as float32 torch tensor."""
    count = int(np.prod(shape))
    return torch.from_numpy(fixture_values(name, count, center, scale).reshape(tuple(shape)))
