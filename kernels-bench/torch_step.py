"""The PyTorch side of step-bench (kernels-bench/step-bench.ts): a persistent process, so its start-up
and imports are never timed. One JSON request per stdin line, one JSON reply per stdout line:

  {"cmd": "setup", "config": {AaspConfig fields}, "params": FILE, "x": FILE, "vis": FILE, "mask": FILE,
   "B": int, "device": "cpu"|"cuda", "threads": int}
      builds the reference model (test/reference/aasp_ssl.py) in float32, loads the student parameters
      step-bench wrote (safetensors, spec names), copies them to the teacher, loads the batch and masks
  {"cmd": "step", "s": int}   one full training step (train_step: losses, backward, clip, AdamW, EMA),
                              timed here (CUDA: synchronised); replies {"ms", "cpu_ms" (all threads), "loss"}
  {"cmd": "quit"}

On CUDA TF32 is off, so matmuls run in true float32 like ours.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "reference"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import safetensors_io as st  # noqa: E402
from aasp_ref import AaspConfig  # noqa: E402
from aasp_ssl import AaSP, train_step  # noqa: E402


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def setup(msg):
    dev = torch.device(msg["device"])
    torch.set_num_threads(int(msg["threads"]))
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    cfg = AaspConfig(**msg["config"])
    model = AaSP(cfg)
    params, _ = st.load(msg["params"])
    with torch.no_grad():
        for n, p in model.student_named_params():
            if n not in params:
                raise KeyError(f"parameter {n} missing from {msg['params']}")
            p.copy_(torch.from_numpy(params[n]).reshape(p.shape))
        model.copy_teacher_()
    model.float().to(dev)
    B, Mm = int(msg["B"]), cfg.n_masks
    x = torch.from_numpy(np.fromfile(msg["x"], dtype="<f4").reshape(B, cfg.F, cfg.T)).to(dev)
    vis = torch.from_numpy(np.fromfile(msg["vis"], dtype="<i4").astype(np.int64).reshape(B, Mm, -1)).to(dev)
    msk = torch.from_numpy(np.fromfile(msg["mask"], dtype="<i4").astype(np.int64).reshape(B, Mm, -1)).to(dev)
    return dict(model=model, x=x, vis=vis, msk=msk, opt={}, dev=dev)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main():
    state = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "setup":
                state = setup(msg)
                reply({"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                       "device": str(state["dev"]) + (f" ({torch.cuda.get_device_name()})" if state["dev"].type == "cuda" else "")})
            elif msg["cmd"] == "step":
                sync(state["dev"])
                t0, c0 = time.perf_counter(), time.process_time()
                out = train_step(state["model"], state["x"], state["vis"], state["msk"], int(msg["s"]), state["opt"])
                loss = out["L"].item()
                sync(state["dev"])
                reply({"ok": True, "ms": (time.perf_counter() - t0) * 1000, "cpu_ms": (time.process_time() - c0) * 1000, "loss": loss})
            elif msg["cmd"] == "quit":
                break
            else:
                reply({"ok": False, "error": f"unknown command {msg['cmd']}"})
        except Exception as e:  # reported to step-bench, which prints it on one line
            reply({"ok": False, "error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
