"""Fine-tuning checkpoints kept on object storage, so a train stage killed on
one machine resumes on another.

The Trainer reads and writes checkpoints on a local disk only. When the
checkpoint folder (the ``fine_tune_checkpoints`` catalog entry, under the
storage root) is a URL, training works in a local scratch folder; each
checkpoint the Trainer saves is uploaded whole (staging prefix, then published
with ``trainer_state.json`` last), and a run that starts finds the newest whole
checkpoint of its own run fingerprint there, with the best one so far, and
downloads them to resume from.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import fsspec
from transformers import TrainerCallback

from extractive_qa.datasets.atomic import publish_directory
from extractive_qa.datasets.checkpoint_folder import CheckpointFolder
from extractive_qa.run_lock import process_alive

__all__ = ["CheckpointFolder", "RemoteCheckpoints", "launch_id"]

logger = logging.getLogger(__name__)

# The Trainer writes trainer_state.json last; publishing copies it last too.
COMPLETE_MARKER = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
# A scratch folder: the run's name and the process id of its launch.
_SCRATCH = re.compile(r"^run-\w+-(?:agent)?(?P<pid>\d+)$")


def launch_id() -> str:
    """Shared by the processes of one launch, new for every launch: torchrun's
    workers on a machine are children of one agent process."""
    if "LOCAL_RANK" in os.environ:
        return f"agent{os.getppid()}"
    return str(os.getpid())


def _step(path: str) -> int | None:
    match = _CHECKPOINT.match(path.rstrip("/").rsplit("/", 1)[-1])
    return int(match.group(1)) if match else None


class RemoteCheckpoints(TrainerCallback):
    """One run's checkpoints at ``run_name`` under ``folder``, worked on in a
    scratch folder.

    The scratch folder, under the system's temporary folder (``TMPDIR``), is
    named after the run and the launch: the processes of one torchrun launch
    share it (the Trainer's ranks expect one output folder), and a new launch
    never picks up files a killed one left there.
    """

    def __init__(self, folder: CheckpointFolder, run_name: str) -> None:
        self.fs, root = fsspec.core.url_to_fs(folder.location, **folder.storage_options)
        self.remote = f"{root.rstrip('/')}/{run_name}"
        self.url = f"{folder.location.rstrip('/')}/{run_name}"
        self.scratch = Path(tempfile.gettempdir()) / "extractive_qa-fine_tune"
        self.local_run_dir = self.scratch / f"{run_name}-{launch_id()}"
        self._run_name = run_name

    def other_runs(self) -> list[str]:
        """The other runs (other settings) with checkpoints in the store."""
        parent = self.remote.rpartition("/")[0]
        if not self.fs.exists(parent):
            return []
        names = {
            path.rstrip("/").rpartition("/")[2]
            for path in self.fs.ls(parent, detail=False)
        }
        own = self.remote.rpartition("/")[2]
        return sorted(name for name in names if name.startswith("run-") and name != own)

    def _remote_checkpoints(self) -> dict[int, str]:
        """Step -> remote folder of every whole checkpoint."""
        if not self.fs.exists(self.remote):
            return {}
        found = {}
        for path in self.fs.ls(self.remote, detail=False):
            step = _step(path)
            if step is not None and self.fs.exists(f"{path}/{COMPLETE_MARKER}"):
                found[step] = path.rstrip("/")
        return found

    def _fetch(self, remote: str, step: int, best: Path | None = None) -> Path:
        """The checkpoint at ``remote`` in the scratch folder; its state names
        ``best`` as the best checkpoint, when given.

        Each process of a launch downloads (and edits the state) beside the
        place; the first rename wins and the others drop their copy, so no
        process ever reads a state another is writing.
        """
        local = self.local_run_dir / f"checkpoint-{step}"
        if local.exists():
            return local
        staging = tempfile.mkdtemp(prefix=".fetch-", dir=self.local_run_dir)
        try:
            self.fs.get(f"{remote}/", staging, recursive=True)
            if best is not None:
                state_file = Path(staging) / COMPLETE_MARKER
                state = json.loads(state_file.read_text())
                state["best_model_checkpoint"] = str(best)
                state_file.write_text(json.dumps(state, indent=2))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            os.rename(staging, local)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        return local

    def _left_behind(self, folder: Path) -> bool:
        """A scratch folder whose launch process is gone: a killed launch of
        this run or of another. A live launch keeps its folder, whatever its
        settings: another run (a second GPU on this machine), or one with the
        same settings on another storage root."""
        match = _SCRATCH.match(folder.name)
        return match is not None and not process_alive(int(match["pid"]))

    def fetch_latest(self) -> Path | None:
        """Download the newest whole checkpoint, and the best one it names, to
        the scratch folder; the newest one's path there, or None when the store
        holds none."""
        for earlier in self.scratch.glob("run-*"):
            if earlier != self.local_run_dir and self._left_behind(earlier):
                shutil.rmtree(earlier, ignore_errors=True)
        self.local_run_dir.mkdir(parents=True, exist_ok=True)
        checkpoints = self._remote_checkpoints()
        if not checkpoints:
            return None
        step = max(checkpoints)
        state = json.loads(self.fs.cat(f"{checkpoints[step]}/{COMPLETE_MARKER}"))
        best_step = _step(state.get("best_model_checkpoint") or "")
        best = None
        if best_step is not None and best_step in checkpoints:
            # The state names the best checkpoint by the path of the machine
            # that saved it; the Trainer forgets a best it cannot find.
            best = self.local_run_dir / f"checkpoint-{best_step}"
            if best_step != step:
                self._fetch(checkpoints[best_step], best_step)
        latest = self._fetch(checkpoints[step], step, best)
        logger.info("fetched %s/checkpoint-%d to resume from", self.url, step)
        return latest

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
        # The Trainer keeps the best checkpoint and the newest one locally.
        for step, path in self._remote_checkpoints().items():
            if not (Path(args.output_dir) / f"checkpoint-{step}").exists():
                self.fs.rm(path, recursive=True)
        logger.info("uploaded %s to %s", name, self.url)

    def discard(self, keep_remote: bool) -> None:
        """Remove the scratch folder, and the stored checkpoints unless kept."""
        shutil.rmtree(self.local_run_dir, ignore_errors=True)
        if not keep_remote and self.fs.exists(self.remote):
            self.fs.rm(self.remote, recursive=True)
