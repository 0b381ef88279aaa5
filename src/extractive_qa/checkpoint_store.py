"""Fine-tuning checkpoints kept on object storage, so a train stage killed on
one machine resumes on another.

The Trainer reads and writes checkpoints on a local disk only. When the
checkpoint folder is a URL (``training.output_dir`` under an ``s3://`` storage
root), training works in a local scratch folder; each checkpoint the Trainer
saves is uploaded whole (staging prefix, then published with
``trainer_state.json`` last), and a run that starts finds the newest whole
checkpoint of its own run fingerprint there and downloads it to resume from.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem
from transformers import TrainerCallback

from extractive_qa.datasets.atomic import publish_directory

logger = logging.getLogger(__name__)

# The Trainer writes trainer_state.json last; publishing copies it last too.
COMPLETE_MARKER = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def is_remote(location: str) -> bool:
    """Whether ``location`` is on a filesystem other than the local disk."""
    fs, _ = fsspec.core.url_to_fs(location)
    return not isinstance(fs, LocalFileSystem)


def launch_id() -> str:
    """Shared by the processes of one torchrun launch, new for every launch."""
    return os.environ.get("TORCHELASTIC_RUN_ID") or str(os.getpid())


class RemoteCheckpoints(TrainerCallback):
    """One run's checkpoints at ``remote_run_dir``, worked on in a scratch folder.

    The scratch folder, under the system's temporary folder, is named after the
    run and the launch: the processes of one torchrun launch share it (the
    Trainer's ranks expect one output folder), and a new launch never picks up
    files a killed one left there.
    """

    def __init__(self, remote_run_dir: str) -> None:
        self.fs, self.remote = fsspec.core.url_to_fs(remote_run_dir)
        self.remote = self.remote.rstrip("/")
        self.url = remote_run_dir.rstrip("/")
        self.scratch = Path(tempfile.gettempdir()) / "extractive_qa-fine_tune"
        run_name = Path(self.remote).name
        self.local_run_dir = self.scratch / f"{run_name}-{launch_id()}"

    def _remote_checkpoints(self) -> dict[int, str]:
        """Step -> remote folder of every whole checkpoint."""
        if not self.fs.exists(self.remote):
            return {}
        found = {}
        for path in self.fs.ls(self.remote, detail=False):
            match = _CHECKPOINT.match(path.rstrip("/").rsplit("/", 1)[-1])
            if match and self.fs.exists(f"{path}/{COMPLETE_MARKER}"):
                found[int(match.group(1))] = path.rstrip("/")
        return found

    def fetch_latest(self) -> Path | None:
        """Download the newest whole checkpoint to the scratch folder; its path
        there, or None when the store holds none."""
        run_name = Path(self.remote).name
        for earlier in self.scratch.glob(f"{run_name}-*"):
            # Left by a killed launch of this run on this machine.
            if earlier != self.local_run_dir:
                shutil.rmtree(earlier, ignore_errors=True)
        self.local_run_dir.mkdir(parents=True, exist_ok=True)
        checkpoints = self._remote_checkpoints()
        if not checkpoints:
            return None
        step = max(checkpoints)
        local = self.local_run_dir / f"checkpoint-{step}"
        if not local.exists():
            # Each process of a launch downloads beside the place; the first
            # rename wins and the others drop their copy.
            staging = tempfile.mkdtemp(prefix=".fetch-", dir=self.local_run_dir)
            self.fs.get(f"{checkpoints[step]}/", staging, recursive=True)
            try:
                os.rename(staging, local)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        logger.info("fetched %s/checkpoint-%d to resume from", self.url, step)
        return local

    def on_save(self, args, state, control, **kwargs) -> None:
        """Upload the checkpoint just saved; drop those the Trainer rotated out."""
        if not state.is_world_process_zero:
            return
        name = f"checkpoint-{state.global_step}"
        publish_directory(
            self.fs,
            str(Path(args.output_dir) / name),
            f"{self.remote}/{name}",
            COMPLETE_MARKER,
        )
        for step, path in self._remote_checkpoints().items():
            if not (Path(args.output_dir) / f"checkpoint-{step}").exists():
                self.fs.rm(path, recursive=True)
        logger.info("uploaded %s to %s", name, self.url)

    def discard(self, keep_remote: bool) -> None:
        """Remove the scratch folder, and the stored checkpoints unless kept."""
        shutil.rmtree(self.local_run_dir, ignore_errors=True)
        if not keep_remote and self.fs.exists(self.remote):
            self.fs.rm(self.remote, recursive=True)
