"""SyntheticKorQuADDataset writes the KorQuAD JSON once and then reads it back."""

from __future__ import annotations

import json
import os
import socket
import subprocess

from extractive_qa.datasets.squad_json import SquadJSONDataset
from extractive_qa.datasets.synthetic_korquad import SAVE_ARGS, SyntheticKorQuADDataset
from extractive_qa.demo.synthetic import generate_korquad

GENERATION = {"split": "train", "n_questions": 30, "seed": 13}


def test_first_load_writes_the_korquad_layout(tmp_path):
    path = tmp_path / "01_raw" / "synthetic_train.json"
    dataset = SyntheticKorQuADDataset(filepath=str(path), **GENERATION)
    assert not dataset.exists()

    loaded = dataset.load()

    assert dataset.exists()
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == loaded == generate_korquad(**GENERATION)
    # Korean is written as text, not as \u escapes.
    assert "태어났다" in path.read_text(encoding="utf-8")
    for article in on_disk["data"]:
        assert isinstance(article["title"], str)
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                assert {"id", "question", "answers"} <= set(qa)
                for answer in qa["answers"]:
                    start, text = answer["answer_start"], answer["text"]
                    assert paragraph["context"][start : start + len(text)] == text


def test_second_load_reads_the_file_without_regenerating(tmp_path):
    path = tmp_path / "synthetic_train.json"
    first = SyntheticKorQuADDataset(filepath=str(path), **GENERATION).load()
    written = path.stat().st_mtime_ns

    again = SyntheticKorQuADDataset(filepath=str(path), **GENERATION).load()

    assert again == first
    assert path.stat().st_mtime_ns == written


def test_an_existing_file_is_returned_as_it_is(tmp_path):
    path = tmp_path / "edited.json"
    edited = {"version": "edited", "data": []}
    path.write_text(json.dumps(edited), encoding="utf-8")
    dataset = SyntheticKorQuADDataset(filepath=str(path), **GENERATION)

    assert dataset.exists()
    assert dataset.load() == edited


def test_save_then_load_round_trips(tmp_path):
    path = tmp_path / "saved.json"
    dataset = SyntheticKorQuADDataset(filepath=str(path), **GENERATION)
    document = generate_korquad(split="validation", n_questions=10, seed=1)

    dataset.save(document)

    assert dataset.load() == document


def test_generation_writes_the_file_whole_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "synthetic_train.json"

    SyntheticKorQuADDataset(filepath=str(path), **GENERATION).load()

    assert [p.name for p in tmp_path.iterdir()] == ["synthetic_train.json"]
    # The bytes a JSONDataset save would write: the file's fingerprint, and so
    # the freshness of what was made from it, stays as before.
    reference = SquadJSONDataset(
        filepath=str(tmp_path / "reference" / "train.json"), save_args=SAVE_ARGS
    )
    reference.save(generate_korquad(**GENERATION))
    assert path.read_bytes() == (tmp_path / "reference" / "train.json").read_bytes()


def pid_namespace_inode() -> int:
    """The inode of this process's pid namespace, 0 where there is no /proc."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def test_generation_removes_what_killed_generations_on_this_host_left(tmp_path):
    ended = subprocess.Popen(["true"])
    ended.wait(timeout=30)
    here = f"{socket.gethostname()}-{pid_namespace_inode()}"
    hidden = ".synthetic_train.json.partial-"
    killed = f"{hidden}{here}-{ended.pid}-0a1b2c3d"
    # Still being written here; one of another machine sharing the folder; one
    # of another container with this hostname, whose process ids are its own.
    running = f"{hidden}{here}-{os.getpid()}-0a1b2c3d"
    elsewhere = f"{hidden}gpu-7-{here.rsplit('-', 1)[1]}-{ended.pid}-0a1b2c3d"
    container = f"{hidden}{socket.gethostname()}-1-{ended.pid}-0a1b2c3d"
    for name in (killed, running, elsewhere, container):
        (tmp_path / name).write_text('{"data": [', encoding="utf-8")

    SyntheticKorQuADDataset(
        filepath=str(tmp_path / "synthetic_train.json"), **GENERATION
    ).load()

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [running, elsewhere, container, "synthetic_train.json"]
    )
