"""What each rank of tests/test_distributed.py runs (a module of its own so that spawned processes import it).

Every collective runs under the process group's timeout (:data:`COLLECTIVE_TIMEOUT`), and the
parent kills every rank at its own deadline, so a failing rank cannot hang the test run.
"""

from __future__ import annotations

import json
import os
import traceback
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

COLLECTIVE_TIMEOUT = timedelta(seconds=60)
D_MODEL, N_HEAD, D_FF, VOCAB, N_LAYER = 48, 4, 96, 50, 2  # VOCAB = 50 rows: uneven shards on 4 ranks


class Block(nn.Module):
    """A GPT-2-style block; ``reverse`` registers its submodules in the opposite order (same names)."""

    def __init__(self, reverse: bool = False) -> None:
        super().__init__()
        parts = [
            ("ln_1", lambda: nn.LayerNorm(D_MODEL)),
            ("attn", lambda: nn.MultiheadAttention(D_MODEL, N_HEAD, batch_first=True)),
            ("ln_2", lambda: nn.LayerNorm(D_MODEL)),
            ("c_fc", lambda: nn.Linear(D_MODEL, D_FF)),
            ("c_proj", lambda: nn.Linear(D_FF, D_MODEL)),
        ]
        for name, make in reversed(parts) if reverse else parts:
            self.add_module(name, make())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.c_proj(torch.relu(self.c_fc(self.ln_2(x))))


class TinyGPT(nn.Module):
    """Embedding, ``N_LAYER`` blocks, final norm; ``reverse`` reverses every registration order."""

    def __init__(self, reverse: bool = False) -> None:
        super().__init__()
        blocks = nn.ModuleList([Block(reverse) for _ in range(N_LAYER)])
        parts = [("wte", lambda: nn.Embedding(VOCAB, D_MODEL)), ("h", lambda: blocks),
                 ("ln_f", lambda: nn.LayerNorm(D_MODEL))]
        for name, make in reversed(parts) if reverse else parts:
            self.add_module(name, make())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.wte(ids)
        for block in self.h:
            x = block(x)
        return self.ln_f(x)


def build(reverse: bool = False) -> TinyGPT:
    return TinyGPT(reverse)


def materialize(model: nn.Module) -> None:
    from initref.torch import materialize_

    materialize_(model, "gpt2", seed=1234, n_layer=N_LAYER)


def _shard(model: TinyGPT, world: int) -> None:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh("cpu", (world,))
    for block in model.h:
        fully_shard(block, mesh=mesh)
    fully_shard(model, mesh=mesh)


def _expect_error(label: str, call, model: nn.Module) -> dict[str, object]:
    """Run ``call``; record whether it raised ValueError and whether the local shards stayed as they were."""
    before = {n: p.to_local().clone() for n, p in model.named_parameters()}
    try:
        call()
        raised = ""
    except ValueError as exc:
        raised = str(exc)
    unchanged = all(torch.equal(before[n], p.to_local()) for n, p in model.named_parameters())
    return {"check": label, "raised": raised, "unchanged": unchanged}


def run(rank: int, world: int, store_path: str, out_dir: str, reverse: bool) -> None:
    """One rank: FSDP2-shard a meta TinyGPT, materialize it, gather it, then check that bad calls fail here too."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    out = Path(out_dir)
    try:
        store = dist.FileStore(store_path, world)
        dist.init_process_group("gloo", store=store, rank=rank, world_size=world, timeout=COLLECTIVE_TIMEOUT)
        with torch.device("meta"):
            model = build(reverse)
        _shard(model, world)
        materialize(model)
        full = {n: p.full_tensor() for n, p in model.named_parameters()}  # collectives, under the timeout
        local_shapes = {n: list(p.to_local().shape) for n, p in model.named_parameters()}
        from initref.torch import materialize_

        errors = [
            _expect_error("require_meta on a materialized model",
                          lambda: materialize_(model, "gpt2", seed=1, require_meta=True, n_layer=N_LAYER), model),
            _expect_error("unknown recipe", lambda: materialize_(model, "no-such-recipe", seed=1), model),
            _expect_error("bad seed", lambda: materialize_(model, "gpt2", seed=-1, n_layer=N_LAYER), model),
        ]
        if rank == 0:
            torch.save(full, out / "gathered.pt")
        (out / f"rank{rank}.json").write_text(json.dumps({"errors": errors, "local_shapes": local_shapes}))
        dist.barrier()
        dist.destroy_process_group()
    except Exception:  # report, then exit non-zero: the parent sees both
        (out / f"rank{rank}.failed").write_text(traceback.format_exc())
        raise
