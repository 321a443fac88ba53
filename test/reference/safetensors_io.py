"""Minimal safetensors writer/reader (no external package; torch 1.13 + numpy only).

Layout: 8-byte little-endian u64 header length, a JSON header
{name: {"dtype": "F32"|"I32"|"F64", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}},
padded with spaces to a multiple of 8 bytes, then the raw little-endian tensor bytes in header order.
"""
import json
import struct

import numpy as np
import torch

_NP = {"F32": np.dtype("<f4"), "I32": np.dtype("<i4"), "F64": np.dtype("<f8")}


def _to_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    a = np.asarray(t)
    if a.dtype.kind == "f":
        return a.astype("<f4") if a.dtype.itemsize <= 4 else a.astype("<f8")
    if a.dtype.kind in "iub":
        return a.astype("<i4")
    raise TypeError(f"unsupported dtype {a.dtype}")


def save(path, tensors, metadata=None, f64=()):
    """Write `tensors` (name -> torch/numpy array). Floats are stored as F32 unless the name is in `f64`."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = _to_numpy(t)
        if a.dtype.kind == "f":
            a = a.astype("<f8" if name in f64 else "<f4")
        dtype = {"f4": "F32", "f8": "F64", "i4": "I32"}[a.dtype.str[1:]]
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    """Return (dict name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(buf[base + b:base + e], dtype=_NP[info["dtype"]]).reshape(info["shape"]).copy()
    return out, meta
