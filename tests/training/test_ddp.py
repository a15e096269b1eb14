"""Several processes: each rank reads its own slice of every batch, and only rank 0 writes.

An all-reduce makes the weights of every rank equal even when every rank read the same
windows, so equal weights alone cannot show that the data is sharded: the batch stream is
checked directly (rank slices disjoint, together the one-process batch), then two gloo
processes train and end with identical weights, with files from rank 0 only.
"""

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from stylegen.config import load_recipe
from stylegen.data.dataset import prepare
from stylegen.data.windows import WindowDataset
from stylegen.training.loop import BatchStream, Trainer
from tests.conftest import TINY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _windows(batch: dict) -> list[tuple[int, int]]:
    return list(zip(batch["piece"].tolist(), batch["start"].tolist()))


@pytest.mark.parametrize("world", [2, 3])
def test_rank_slices_are_disjoint_and_make_up_the_one_process_batch(tiny_corpus, tmp_path, world):
    recipe = load_recipe(TINY, [f"data_root={tiny_corpus}", f"data.cache_dir={tmp_path / 'cache'}", "data.workers=1"],
                         check_models=False)  # the data alone
    ds = WindowDataset.from_recipe(prepare(recipe), recipe, "train")  # with train-only transposition
    B = 2
    one = BatchStream(ds, B * world, seed=7, rank=0, world=1)
    ranks = [BatchStream(ds, B, seed=7, rank=r, world=world) for r in range(world)]
    assert len(set(_windows(one.batch(0)))) == B * world  # a batch holds distinct windows
    for step in range(2 * one.per_epoch + 1):  # across two epoch boundaries (a new shuffle each)
        whole = one.batch(step)
        parts = [s.batch(step) for s in ranks]
        seen = [set(_windows(p)) for p in parts]
        assert all(len(p["piece"]) == B for p in parts)
        for a in range(world):
            for b in range(a + 1, world):
                assert not seen[a] & seen[b], f"step {step}: ranks {a} and {b} read the same window"
        assert sum((_windows(p) for p in parts), []) == _windows(whole)
        for key in ("roll", "style", "shift"):
            assert torch.equal(torch.cat([p[key] for p in parts]), whole[key]), key
    # and the epochs really differ: a stream that repeated one order would pass the above
    assert _windows(one.batch(0)) != _windows(one.batch(one.per_epoch))


def _worker(rank, world, port, recipe, out_dir):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        run_dir = os.path.join(out_dir, f"run{rank}")  # every rank is offered a folder: only rank 0 may use it
        t = Trainer(recipe, prepare(recipe), torch.device("cpu"), run_dir=Path(run_dir),
                    rank=rank, world=world, progress=False)
        # different seeds per rank would break sync if DDP did not broadcast/all-reduce
        torch.manual_seed(100 + rank)
        t.fit()
        torch.save({"G": t.G.state_dict(), "D": t.D.state_dict(), "step": t.step},
                   os.path.join(out_dir, f"{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_hold_identical_weights_and_only_rank_0_writes(tiny_recipe, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    r = tiny_recipe("schedule.steps=3", "schedule.batch_size=2", "schedule.eval_every=100", "checkpoint.every=2",
                    "data.workers=1", f"logging.dir={tmp_path / 'runs'}")
    prepare(r)  # fill the cache before the processes start
    before = {p for p in tmp_path.rglob("*")}
    mp.spawn(_worker, args=(2, _free_port(), r, str(out)), nprocs=2, join=True)
    a, b = torch.load(out / "0.pt"), torch.load(out / "1.pt")
    assert a["step"] == b["step"] == 3
    for part in ("G", "D"):
        for k, v in a[part].items():
            assert torch.equal(v, b[part][k]), f"{part}.{k} differs between ranks"
    written = {p.relative_to(tmp_path).as_posix() for p in set(tmp_path.rglob("*")) - before if p.is_file()}
    assert any(f.startswith("out/run0/checkpoints/") for f in written)  # rank 0 wrote its checkpoints
    assert not (out / "run1").exists(), "rank 1 wrote into its run folder"
    assert {f for f in written if not f.startswith("out/run0/")} == {"out/0.pt", "out/1.pt"}  # nothing else
