"""materialize_ on a real torch.distributed backend: gloo, 2 and 4 processes, FSDP2-sharded meta model.

The gathered weights must equal, bit for bit, one process's materialize_ of the unsharded model,
also when every module is registered in the opposite order; bad calls must raise on every rank
and leave each rank's shard as it was. Each rank's collectives time out after 60 s
(``distributed_worker.COLLECTIVE_TIMEOUT``) and the parent kills all ranks at :data:`DEADLINE`,
so no failure can hang the suite.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import distributed_worker as worker
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")

DEADLINE = 240.0  # seconds for all ranks together, start-up (importing torch on 2 cores) included


def _spawn(world: int, tmp_path: Path, reverse: bool) -> None:
    context = mp.start_processes(worker.run, args=(world, str(tmp_path / "store"), str(tmp_path), reverse),
                                 nprocs=world, join=False, start_method="spawn")
    end = time.monotonic() + DEADLINE
    try:
        while not context.join(timeout=1.0):
            if time.monotonic() > end:
                pytest.fail(f"{world} ranks did not finish within {DEADLINE:.0f} s; killed")
    except mp.ProcessRaisedException as exc:
        failed = "\n".join(p.read_text() for p in sorted(tmp_path.glob("rank*.failed")))
        pytest.fail(f"a rank failed:\n{failed or exc}")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()


def _single_process(reverse: bool = False) -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        model = worker.build(reverse)
    worker.materialize(model)
    return dict(model.named_parameters())


@pytest.mark.parametrize(("world", "reverse"), [(2, False), (4, True)])
def test_sharded_materialize_equals_one_process(world: int, reverse: bool, tmp_path: Path) -> None:
    _spawn(world, tmp_path, reverse)
    gathered = torch.load(tmp_path / "gathered.pt")
    expected = _single_process()  # registration order as written: the reverse run must match it too
    assert sorted(gathered) == sorted(expected)
    for name, tensor in expected.items():
        assert torch.equal(gathered[name], tensor.detach()), name
    reports = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(world)]
    # torch.chunk's split of the 50 embedding rows: uneven on 4 ranks
    assert [r["local_shapes"]["wte.weight"][0] for r in reports] == {2: [25, 25], 4: [13, 13, 13, 11]}[world]
    for rank, report in enumerate(reports):
        for error in report["errors"]:
            assert error["raised"], f"rank {rank}: {error['check']} did not raise"
            assert error["unchanged"], f"rank {rank}: {error['check']} changed the shard"


def test_single_process_is_independent_of_registration_order() -> None:
    forward, backward = _single_process(False), _single_process(True)
    assert list(forward) != list(backward)
    for name, tensor in forward.items():
        assert torch.equal(tensor, backward[name]), name
