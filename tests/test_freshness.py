"""Stamps, expected digests and the nodes FreshRunner picks, on a two-node
pipeline of real JSON files run by Kedro's runner with the stamping hooks."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import sys
import typing

import datasets
import pytest
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import DatasetError
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner
from kedro_datasets.json import JSONDataset

from extractive_qa.datasets import ArrowTableDataset, HubSplitDataset
from extractive_qa.freshness import (
    CODE_MODULE,
    MissingInputError,
    Provenance,
    StampHooks,
    changed_settings,
    code_version,
    nodes_to_run,
    read_stamp,
    source_fingerprint,
)
from extractive_qa.freshness.params import result_settings
from extractive_qa.freshness.provenance import made_alike
from extractive_qa.freshness.stamps import Stamp
from extractive_qa.pipeline_registry import register_pipelines
from extractive_qa.qa.fingerprint import StaleArtifactError
from extractive_qa.training.checkpoints import run_fingerprint


def double(raw: dict, scale: dict) -> dict:
    return {key: value * scale["factor"] for key, value in raw.items()}


def total(middle: dict, rounding: dict) -> dict:
    return {"total": round(sum(middle.values()), rounding["digits"])}


PIPELINE = Pipeline(
    [
        node(double, ["raw", "params:scale"], "middle", name="double"),
        node(total, ["middle", "params:rounding"], "result", name="total"),
    ]
)


def catalog(tmp_path, factor: float = 2, digits: int = 1) -> DataCatalog:
    return DataCatalog(
        {
            "raw": JSONDataset(filepath=str(tmp_path / "raw.json")),
            "middle": JSONDataset(filepath=str(tmp_path / "middle.json")),
            "result": JSONDataset(filepath=str(tmp_path / "result.json")),
            "params:scale": MemoryDataset({"factor": factor}),
            "params:rounding": MemoryDataset({"digits": digits}),
            "parameters": MemoryDataset({}),
        }
    )


def run(tmp_path, pipeline=PIPELINE, **settings) -> DataCatalog:
    """Run ``pipeline`` with the stamping hooks, as a Kedro session would."""
    data = catalog(tmp_path, **settings)
    hooks = StampHooks(pipelines={"__default__": PIPELINE})
    manager = _create_hook_manager()
    manager.register(hooks)
    hooks.before_pipeline_run(pipeline=pipeline, catalog=data)
    SequentialRunner().run(pipeline, data, manager)
    return data


@pytest.fixture
def made(tmp_path):
    (tmp_path / "raw.json").write_text(json.dumps({"a": 1.25, "b": 2.5}))
    run(tmp_path)
    return tmp_path


def states(tmp_path, **settings) -> dict[str, str]:
    provenance = Provenance(catalog(tmp_path, **settings), [PIPELINE])
    return {e.name: e.state for e in provenance.entries(PIPELINE)}


def test_outputs_are_stamped_with_node_parameters_and_inputs(made):
    stamp = read_stamp(JSONDataset(filepath=str(made / "middle.json")))

    assert (made / ".middle.json.stamp.json").is_file()
    assert stamp.node == "double"
    assert stamp.params == {"params:scale": {"factor": 2}}
    assert stamp.inputs["raw"].startswith("source:")
    result = read_stamp(JSONDataset(filepath=str(made / "result.json")))
    assert result.inputs == {"middle": stamp.digest}


def test_unchanged_settings_are_fresh_and_a_change_is_named(made):
    assert states(made) == {"middle": "fresh", "result": "fresh"}

    provenance = Provenance(catalog(made, digits=3), [PIPELINE])
    result = provenance.state("result")
    assert result.state == "stale"
    assert result.why == "made with rounding.digits: 1 -> 3"
    assert result.rebuild_from == "total"
    assert provenance.state("middle").state == "fresh"


def test_a_whole_number_written_as_a_float_is_the_same_setting(made):
    # Made with factor 2 and digits 1; 2.0 and 1.0 are the same settings.
    assert states(made, factor=2.0, digits=1.0) == {
        "middle": "fresh",
        "result": "fresh",
    }
    assert states(made, factor=2.5) == {"middle": "stale", "result": "stale"}


def legacy_digest(stamp: dict) -> str:
    """A stamp's digest as written before whole floats were digested as ints."""
    keys = ("node", "code", "params", "inputs", "allow_stale")
    text = json.dumps(
        {key: stamp[key] for key in keys}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_stamps_written_before_whole_floats_were_digested_as_ints_stay_fresh(
    tmp_path,
):
    (tmp_path / "raw.json").write_text(json.dumps({"a": 1.25, "b": 2.5}))
    run(tmp_path, factor=2.0)
    # Rewrite both stamps as the earlier version wrote them.
    middle_file, result_file = (
        tmp_path / ".middle.json.stamp.json",
        tmp_path / ".result.json.stamp.json",
    )
    middle = json.loads(middle_file.read_text())
    middle["digest"] = legacy_digest(middle)
    middle_file.write_text(json.dumps(middle))
    result = json.loads(result_file.read_text())
    result["inputs"]["middle"] = middle["digest"]
    result["digest"] = legacy_digest(result)
    result_file.write_text(json.dumps(result))
    # Not the digest this version gives the same stamp.
    assert middle["digest"] != Stamp(**{**middle, "digest": ""}).digest

    assert states(tmp_path, factor=2.0) == {"middle": "fresh", "result": "fresh"}
    assert states(tmp_path, factor=2) == {"middle": "fresh", "result": "fresh"}
    provenance = Provenance(catalog(tmp_path, factor=3), [PIPELINE])
    assert provenance.state("middle").why == "made with scale.factor: 2.0 -> 3"
    assert provenance.state("result").why == (
        "made from middle, which was made with scale.factor: 2.0 -> 3"
    )


def test_a_stamp_that_recorded_a_setting_which_no_longer_counts_is_alike():
    """Stamps written when training.report_to still counted record it; the
    entry they stamp is what would be made now."""
    now = Stamp("fine_tune", "0.1:abc", {"params:training": {"epochs": 2}}, {})
    before = Stamp(
        "fine_tune",
        "0.1:abc",
        {"params:training": {"epochs": 2.0, "report_to": "none"}},
        {},
    )

    assert before.digest != now.digest
    assert made_alike(before, now)
    other = Stamp("fine_tune", "0.1:abc", {"params:training": {"epochs": 3}}, {})
    assert not made_alike(before, other)


def test_compiling_the_layers_counts_only_when_it_is_on(tiny_qa_model):
    """training.compile_layers came after the first stamps. Off, it is left out
    of stamps and of fine-tuning's run name, so what was made before it still
    matches; on, it changes the model (dropout draws other numbers)."""
    before = Stamp("fine_tune", "0.1:abc", {"params:training": {"epochs": 2}}, {})

    def stamped(setting):
        training = {"epochs": 2, "compile_layers": setting}
        params = {"params:training": result_settings("params:training", training)}
        return Stamp("fine_tune", "0.1:abc", params, {})

    assert stamped(False).digest == before.digest
    assert not made_alike(before, stamped(True))
    assert not made_alike(before, stamped("max-autotune-no-cudagraphs"))
    assert changed_settings(before.params, stamped(True).params) == [
        "training.compile_layers: False -> True"
    ]

    windows = datasets.Dataset.from_dict({"input_ids": [[1, 2, 3]]})

    def run_name(training):
        return run_fingerprint(training, windows, windows, tiny_qa_model)

    assert run_name({"epochs": 2, "compile_layers": False}) == run_name({"epochs": 2})
    assert run_name({"epochs": 2, "compile_layers": True}) != run_name({"epochs": 2})


def test_a_setting_given_as_1_for_a_true_is_named_not_other_inputs(made):
    provenance = Provenance(catalog(made, digits=True), [PIPELINE])
    assert provenance.state("result").why == "made with rounding.digits: 1 -> True"


def test_a_change_upstream_makes_everything_after_it_stale(made):
    provenance = Provenance(catalog(made, factor=3), [PIPELINE])

    assert provenance.state("result").why == (
        "made from middle, which was made with scale.factor: 2 -> 3"
    )
    assert provenance.state("result").rebuild_from == "double"


def test_an_input_rebuilt_since_with_other_settings_is_not_said_to_be_what_was_read(
    made,
):
    """``result`` read the middle of factor 2; middle alone was then made again
    with factor 5. Checked with factor 3, both are stale, and the reason given
    for result must not be factor 5, which it never read."""
    run(made, pipeline=PIPELINE.only_nodes("double"), factor=5)

    provenance = Provenance(catalog(made, factor=3), [PIPELINE])

    assert provenance.state("middle").why == "made with scale.factor: 5 -> 3"
    result = provenance.state("result")
    assert result.why == "made from an earlier middle (since rebuilt, and stale too)"
    assert result.rebuild_from == "double"
    rebuilt = Provenance(catalog(made, factor=5), [PIPELINE]).state("result")
    assert rebuilt.why == "made from an earlier middle (since rebuilt)"
    assert rebuilt.rebuild_from == "total"


def halve(raw: dict, scale: dict) -> dict:
    return {key: value / scale["factor"] for key, value in raw.items()}


def pair(middle: dict, other: dict) -> dict:
    return {"total": sum(middle.values()) + sum(other.values())}


# Two nodes read one setting, a third reads both of what they make: the
# rebuild of ``paired`` must start from both, or its run reads the other stale.
DIAMOND = Pipeline(
    [
        node(double, ["raw", "params:scale"], "middle", name="double"),
        node(halve, ["raw", "params:scale"], "other", name="halve"),
        node(pair, ["middle", "other"], "paired", name="pair"),
        node(total, ["middle", "params:rounding"], "result", name="total"),
    ]
)


def diamond_catalog(tmp_path, factor: float = 2) -> DataCatalog:
    data = catalog(tmp_path, factor=factor)
    for name in ("other", "paired"):
        data[name] = JSONDataset(filepath=str(tmp_path / f"{name}.json"))
    return data


def test_a_rebuild_starts_from_every_stale_input_its_run_would_read(tmp_path):
    (tmp_path / "raw.json").write_text(json.dumps({"a": 1.25, "b": 2.5}))
    data = diamond_catalog(tmp_path)
    hooks = StampHooks(pipelines={"__default__": DIAMOND})
    manager = _create_hook_manager()
    manager.register(hooks)
    hooks.before_pipeline_run(pipeline=DIAMOND, catalog=data)
    SequentialRunner().run(DIAMOND, data, manager)

    provenance = Provenance(diamond_catalog(tmp_path, factor=3), [DIAMOND])

    # Each entry's own reason names one input; its rebuild needs both.
    assert provenance.state("paired").rebuild_from in ("double", "halve")
    assert provenance.rebuild_starts(DIAMOND, ["double"]) == ["double", "halve"]
    assert provenance.rebuild_starts(DIAMOND, ["pair"]) == ["double", "halve"]
    # total reads only middle, but a run from double runs pair too.
    assert provenance.rebuild_starts(DIAMOND, ["total"]) == ["double", "halve"]
    fresh = Provenance(diamond_catalog(tmp_path), [DIAMOND])
    assert fresh.rebuild_starts(DIAMOND, ["pair"]) == ["pair"]
    (tmp_path / "other.json").unlink()
    # To make paired again, halve runs first; double's middle is fresh.
    missing = Provenance(diamond_catalog(tmp_path), [DIAMOND])
    assert missing.rebuild_starts(DIAMOND, ["pair"], to="pair") == ["halve"]
    assert missing.rebuild_starts(DIAMOND, ["halve"], to="halve") == ["halve"]


def test_a_node_whose_input_was_never_made_names_the_node_that_makes_it(tmp_path):
    (tmp_path / "raw.json").write_text(json.dumps({"a": 1.25}))

    with pytest.raises(MissingInputError) as error:
        run(tmp_path, pipeline=PIPELINE.only_nodes("total"))

    message = str(error.value)
    assert f"middle has not been made on this storage ({tmp_path}/middle.json)" in (
        message
    )
    assert "total would read it, so it did not run" in message
    make = "(with this run's --env and --params):\n    kedro run --nodes=double\n"
    assert make in message
    assert not (tmp_path / "result.json").exists()


def test_on_a_shared_storage_url_a_missing_input_names_its_stage(tmp_path):
    """Where the stages run on separate machines, the fix is the stage that
    makes the input, not nodes that would run its work on this machine."""
    (tmp_path / "raw.json").write_text(json.dumps({"a": 1.25}))
    staged = Pipeline(
        [
            node(
                double, ["raw", "params:scale"], "middle", name="double", tags=["train"]
            ),
            node(
                total,
                ["middle", "params:rounding"],
                "result",
                name="total",
                tags=["report"],
            ),
        ]
    )
    registered = {
        "__default__": staged,
        "train": staged.only_nodes_with_tags("train"),
        "report": staged.only_nodes_with_tags("report"),
    }
    data = catalog(tmp_path)
    data["parameters"] = MemoryDataset({"storage": f"file://{tmp_path}"})
    hooks = StampHooks(pipelines=registered)
    manager = _create_hook_manager()
    manager.register(hooks)
    hooks.before_pipeline_run(pipeline=registered["report"], catalog=data)

    with pytest.raises(MissingInputError) as error:
        SequentialRunner().run(registered["report"], data, manager)

    message = str(error.value)
    assert "total would read it, so it did not run" in message
    make = "--params) on the train machine:\n    kedro run --pipelines=train\n"
    assert make in message
    assert "--to-nodes" not in message


def make_table(scale: dict) -> datasets.Dataset:
    return datasets.Dataset.from_dict({"a": [scale["factor"]] * 2})


def count_rows(table: datasets.Dataset) -> dict:
    return {"rows": len(table)}


def test_a_table_saved_in_the_other_format_is_named_not_called_missing(tmp_path):
    """Something is there, so the dataset's own load says what it is."""
    path = str(tmp_path / "table")
    ArrowTableDataset(path=path, file_format="parquet").save(make_table({"factor": 1}))
    pipeline = Pipeline(
        [
            node(make_table, "params:scale", "table", name="make"),
            node(count_rows, "table", "count", name="count"),
        ]
    )
    data = DataCatalog(
        {
            "table": ArrowTableDataset(path=path, file_format="arrow"),
            "count": JSONDataset(filepath=str(tmp_path / "count.json")),
            "params:scale": MemoryDataset({"factor": 1}),
            "parameters": MemoryDataset({}),
        }
    )
    hooks = StampHooks(pipelines={"__default__": pipeline})
    manager = _create_hook_manager()
    manager.register(hooks)
    alone = pipeline.only_nodes("count")
    hooks.before_pipeline_run(pipeline=alone, catalog=data)

    with pytest.raises(DatasetError, match="was saved as parquet, and this run reads"):
        SequentialRunner().run(alone, data, manager)
    # kedro status says the same of it.
    entry = Provenance(data, [pipeline]).state("table")
    assert entry.state == "missing"
    assert entry.why.startswith(
        f"{path} was saved as parquet, and this run reads arrow."
    )
    assert "--params=table_format=parquet" in entry.why


def test_editing_the_raw_file_makes_its_outputs_stale(made):
    (made / "raw.json").write_text(json.dumps({"a": 1.25, "b": 9.0}))

    entry = Provenance(catalog(made), [PIPELINE]).state("middle")
    assert (entry.state, entry.why) == ("stale", "made from raw before it changed")


def test_missing_and_unstamped_outputs(made):
    (made / "result.json").unlink()
    (made / ".middle.json.stamp.json").unlink()

    provenance = Provenance(catalog(made), [PIPELINE])
    assert provenance.state("result").state == "missing"
    assert provenance.state("middle").state == "stale"
    assert "has no stamp" in provenance.state("middle").why


def test_fresh_runner_choice_follows_the_change(made):
    unchanged, _ = nodes_to_run(PIPELINE, Provenance(catalog(made), [PIPELINE]))
    rounding, _ = nodes_to_run(
        PIPELINE, Provenance(catalog(made, digits=3), [PIPELINE])
    )
    scale, _ = nodes_to_run(PIPELINE, Provenance(catalog(made, factor=3), [PIPELINE]))

    assert [n.name for n in unchanged] == []
    assert [n.name for n in rounding] == ["total"]
    assert [n.name for n in scale] == ["double", "total"]


def test_a_node_refuses_a_stale_input_and_writes_nothing(made):
    before = (made / "result.json").stat().st_mtime_ns

    with pytest.raises(StaleArtifactError) as error:
        run(made, PIPELINE.filter(node_names=["total"]), factor=3)

    message = str(error.value)
    assert message.startswith(
        "middle is stale: made with scale.factor: 2 -> 3.\n"
        "total would read it, so it did not run"
    )
    assert "    kedro run --from-nodes=double" in message
    assert (made / "result.json").stat().st_mtime_ns == before


def test_on_shared_storage_a_stale_input_names_the_stages_to_run(made):
    """With the storage root a URL, the stages run on separate machines: the
    fix is to run the stage that makes the input and each after it."""
    stage_of = {"double": "prepare", "total": "train"}
    staged = Pipeline([step.tag(stage_of[step.name]) for step in PIPELINE.nodes])
    stages = {name: staged.only_nodes_with_tags(name) for name in ("prepare", "train")}
    hooks = StampHooks(pipelines={"__default__": staged, **stages})
    manager = _create_hook_manager()
    manager.register(hooks)
    data = catalog(made, factor=3)
    data["parameters"] = MemoryDataset({"storage": "s3://bucket/run"})
    hooks.before_pipeline_run(pipeline=stages["train"], catalog=data)

    with pytest.raises(StaleArtifactError) as error:
        SequentialRunner().run(stages["train"], data, manager)

    message = str(error.value)
    assert (
        "each on its own machine:\n    kedro run --pipelines=prepare\n"
        "    kedro run --pipelines=train\nor add"
    ) in message
    assert "--from-nodes" not in message


def test_changed_settings_lists_each_leaf():
    assert changed_settings(
        {"params:a": {"x": 1, "y": {"z": 2}}}, {"params:a": {"x": 1, "y": {"z": 3}}}
    ) == ["a.y.z: 2 -> 3"]


def test_a_raw_source_not_on_this_machine_leaves_what_is_made_from_it_unverified(
    made,
):
    """The report machine has no raw files, and a path written wrongly finds
    none: neither may pass as fresh without a word, nor stop the entries
    after it from being checked against what they recorded."""
    (made / "raw.json").unlink()

    provenance = Provenance(catalog(made), [PIPELINE])

    middle = provenance.state("middle")
    assert middle.state == "unverified"
    assert middle.why == (
        f"made from raw ({made}/raw.json), which is not on this machine; "
        "taken as unchanged"
    )
    assert provenance.state("result").state == "fresh"
    # FreshRunner runs the node that reads it, which then reads the file (or
    # says it is missing); what follows waits for what that makes.
    to_run, _ = nodes_to_run(PIPELINE, provenance)
    assert [step.name for step in to_run] == ["double"]
    # A setting changed as well: stale says more than unverified.
    assert Provenance(catalog(made, factor=3), [PIPELINE]).state("middle").why == (
        "made with scale.factor: 2 -> 3"
    )


def test_source_fingerprint_follows_content_and_is_none_when_absent(tmp_path):
    dataset = JSONDataset(filepath=str(tmp_path / "raw.json"))
    assert source_fingerprint(dataset) is None
    (tmp_path / "raw.json").write_text("{}")
    first = source_fingerprint(dataset)
    (tmp_path / "raw.json").write_text('{"a": 1}')
    assert source_fingerprint(dataset) != first


def test_a_raw_folder_counts_by_the_content_of_its_files(tmp_path):
    """A saved datasets.Dataset given as a raw source: an edit that keeps every
    file's size (one syllable for another) is still a change."""
    folder = tmp_path / "raw_validation"
    datasets.Dataset.from_dict(
        {"context": ["홍솔서는 부산에서 태어났다."]}
    ).save_to_disk(str(folder))
    dataset = ArrowTableDataset(path=str(folder))
    first = source_fingerprint(dataset)
    arrow = next(folder.glob("*.arrow"))
    before = arrow.read_bytes()
    edited = before.replace("홍솔서".encode(), "홍솔시".encode())
    assert edited != before and len(edited) == len(before)

    arrow.write_bytes(edited)

    assert source_fingerprint(dataset) != first
    arrow.write_bytes(before)
    assert source_fingerprint(dataset) == first


def test_a_local_file_given_for_a_hub_split_counts_by_its_content(tmp_path):
    """The korquad env's --params=train_file=...: replacing the file makes what
    was made from it stale; the same bytes elsewhere do not."""

    def split(path):
        return HubSplitDataset(
            dataset_name="squad_kor_v1", split="train", filepath=str(path)
        )

    path = tmp_path / "train.json"
    assert source_fingerprint(split(path)) is None
    path.write_text('{"data": []}')
    first = source_fingerprint(split(path))
    path.write_text('{"data": [{"title": "t", "paragraphs": []}]}')
    second = source_fingerprint(split(path))
    assert second != first
    copy = tmp_path / "copy" / "train.json"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert source_fingerprint(split(copy)) == second


def test_code_in_counts_the_named_module_without_importing_it(tmp_path, monkeypatch):
    package = tmp_path / "codein_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "work.py").write_text("def heavy():\n    return 1\n")
    (package / "nodes.py").write_text(
        "from extractive_qa.freshness import code_in\n\n"
        "@code_in('codein_pkg.work')\n"
        "def step(x):\n"
        "    from codein_pkg.work import heavy\n"
        "    return x + heavy()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("codein_pkg")]:
        monkeypatch.delitem(sys.modules, name)
    nodes = importlib.import_module("codein_pkg.nodes")
    step = node(nodes.step, "a", "b", name="step")

    first = code_version(step)
    assert "codein_pkg.work" not in sys.modules
    (package / "work.py").write_text("def heavy():\n    return 2\n")
    assert code_version(step) != first

    monkeypatch.delitem(sys.modules, "codein_pkg.nodes")
    monkeypatch.delitem(sys.modules, "codein_pkg")


def test_nodes_that_import_their_work_late_name_a_real_module():
    pipelines = register_pipelines()
    named = {
        n.name: getattr(n.func, CODE_MODULE)
        for n in pipelines["__default__"].nodes
        if hasattr(n.func, CODE_MODULE)
    }
    assert named == {
        "prepare_model": "extractive_qa.training.models",
        "fine_tune": "extractive_qa.training.trainer",
    }
    for module in named.values():
        assert importlib.util.find_spec(module).origin.endswith(".py")


def test_every_node_function_has_resolvable_type_hints():
    # Kedro validates typed parameters through typing.get_type_hints, and only
    # warns when a hint cannot be resolved.
    for pipeline_node in register_pipelines()["__default__"].nodes:
        typing.get_type_hints(pipeline_node.func)


def test_the_fine_tune_node_takes_what_the_library_function_takes():
    from extractive_qa.pipelines.training.nodes import fine_tune
    from extractive_qa.training.trainer import fine_tune as library_fine_tune

    assert inspect.signature(fine_tune) == inspect.signature(library_fine_tune)
