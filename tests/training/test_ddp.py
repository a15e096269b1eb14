"""DistributedDataParallel on 2 CPU processes with gloo: both ranks end with identical weights."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from stylegen.data.dataset import prepare
from stylegen.training.gan import GANTrainer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, recipe, out_dir):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        t = GANTrainer(recipe, prepare(recipe), torch.device("cpu"), None, rank=rank, world=world, progress=False)
        # different seeds per rank would break sync if DDP did not broadcast/all-reduce
        torch.manual_seed(100 + rank)
        t.fit()
        torch.save({"G": t.G.state_dict(), "D": t.D.state_dict(), "step": t.step}, os.path.join(out_dir, f"{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_hold_identical_weights(tiny_recipe, tmp_path):
    r = tiny_recipe("schedule.steps=3", "schedule.pretrain_steps=1", "schedule.batch_size=2",
                    "schedule.eval_every=100", "checkpoint.every=100", "data.workers=1")
    prepare(r)  # fill the cache before the processes start
    mp.spawn(_worker, args=(2, _free_port(), r, str(tmp_path)), nprocs=2, join=True)
    a, b = torch.load(tmp_path / "0.pt"), torch.load(tmp_path / "1.pt")
    assert a["step"] == b["step"] == 3
    for part in ("G", "D"):
        for k, v in a[part].items():
            assert torch.equal(v, b[part][k]), f"{part}.{k} differs between ranks"
