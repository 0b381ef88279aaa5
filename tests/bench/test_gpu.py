"""make bench-gpu's two steps on a tiny shape, run on the CPU (CI has no GPU):
the windows file, every configuration measured or its failure reported, the
project's predict at two window counts; no timing assertions."""

from __future__ import annotations

import json

import pytest
import torch

from extractive_qa.bench.gpu import check_configuration, main, prepare, run
from extractive_qa.bench.gpu_report import markdown

TINY_SHAPE = {
    "vocab_size": 700,
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
    "sequence_length": 64,
}
TINY_GPU = {
    "questions": 60,
    "warmup_steps": 1,
    "train_steps": 2,
    "predict_batches": 2,
    "project_predict_windows": [30, 70],
    "project_predict_batch_size": 16,
    "profile_steps": 1,
    "profile_top": 5,
    "configurations": [
        {
            "mode": "train",
            "precision": "bf16",
            "attention": "sdpa",
            "compile": False,
            "compile_scope": "model",
            "batch_size": 4,
        },
        {
            "mode": "predict",
            "precision": "fp32",
            "attention": "eager",
            "compile": False,
            "compile_scope": "model",
            # More than the windows a tiny run has: batches cycle through them.
            "batch_size": 2048,
        },
        # torch's flash kernel does not train in fp32: this one fails, and is
        # reported while the others are measured.
        {
            "mode": "train",
            "precision": "fp32",
            "attention": "flash",
            "compile": False,
            "compile_scope": "model",
            "batch_size": 4,
        },
    ],
}


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("gpu") / "windows.pt", TINY_SHAPE, TINY_GPU)


def test_prepared_windows_are_full_and_carry_the_settings(windows):
    payload = torch.load(windows, weights_only=True)
    assert payload["shape"]["sequence_length"] == 64
    assert payload["gpu"]["configurations"] == TINY_GPU["configurations"]
    ids = payload["input_ids"]
    assert ids.dtype == torch.int32 and ids.shape[1] == 64 and len(ids) > 10
    for key in ("token_type_ids", "start_positions", "end_positions"):
        assert len(payload[key]) == len(ids)
    # Labels point inside the window.
    assert int(payload["end_positions"].max()) < 64
    assert bool((payload["start_positions"] <= payload["end_positions"]).all())


def test_every_configuration_is_measured_or_its_failure_reported(windows):
    report = run(windows, "cpu")

    train, predict, flash = report["results"]
    assert train["sequences_per_second"] > 0
    assert train["parameters"] > 0
    # The matrix work leaves out the embeddings' 700 x 32 lookup table and adds
    # the attention products: less than the 6N count at this shape.
    assert 0 < train["matrix_tflop_per_second"] <= train["model_tflop_per_second"]
    # No GPU: nothing to read utilisation or GPU memory against.
    assert train["utilisation_of_datasheet_peak"] is None
    assert train["peak_gpu_mib"] is None
    assert train["compile"] is None
    # The profile's kinds of work add up to the time it counted, and the
    # model's linear layers are matrix products.
    profile = train["profile"]
    assert profile["counted"] == "CPU operators"
    assert profile["busy_ms"] > 0 and profile["step_ms"] > 0
    kinds = {row["category"]: row["ms_per_step"] for row in profile["categories"]}
    assert kinds["matrix products"] > 0
    # AdamW's arithmetic is ordinary operators on the CPU, found by its range.
    assert kinds["optimizer"] > 0
    assert 0 < len(profile["top"]) <= TINY_GPU["profile_top"]
    assert predict["sequences_per_second"] > 0
    assert flash["error"].startswith("RuntimeError(")
    assert "sequences_per_second" not in flash

    rows = report["project_predict"]
    assert [row["windows"] for row in rows] == [30, 70]
    assert all(row["windows_per_second"] > 0 for row in rows)

    table = markdown(report)
    assert "| train | bf16 | sdpa | False | 4 |" in table
    failed = next(line for line in table.splitlines() if "failed:" in line)
    assert failed.startswith("| train | fp32 | flash | False | 4 | failed: Runtime")
    header = next(line for line in table.splitlines() if line.startswith("| mode"))
    assert failed.count("|") == header.count("|")
    assert "| 70 |" in table
    assert "Profile of train, bf16, sdpa attention, not compiled, batch 4:" in table
    assert "| matrix products |" in table


def test_matrix_work_per_token_counts_layers_outside_the_embeddings():
    from extractive_qa.bench.electra_base import base_model
    from extractive_qa.bench.gpu_steps import matrix_flop_per_token

    shape = TINY_SHAPE
    model = base_model(shape, "sdpa", seed=1)
    total = sum(p.numel() for p in model.parameters())
    embeddings = sum(p.numel() for p in model.electra.embeddings.parameters())
    # word (700 x 32) + positions (128 x 32) + 2 token types + layer norm
    assert embeddings == 700 * 32 + 128 * 32 + 2 * 32 + 2 * 32
    attention = 4 * 1 * 64 * 32
    assert matrix_flop_per_token(model, shape, 1) == 2 * (total - embeddings) + (
        attention
    )
    assert matrix_flop_per_token(model, shape, 3) == 3 * matrix_flop_per_token(
        model, shape, 1
    )


def test_a_bad_configuration_is_refused_before_it_runs():
    good = {
        "mode": "train",
        "precision": "bf16",
        "attention": "sdpa",
        "compile": False,
        "compile_scope": "model",
        "batch_size": 1,
    }
    check_configuration(good)
    refusals = [
        ({"precision": "int8"}, "precision must be one of bf16"),
        ({"compile_scope": "heads"}, "compile_scope must be one of model, layers"),
        ({"compile": "fastest"}, "compile must be true, false or one of"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        (
            {"compile": "max-autotune", "compile_scope": "layers"},
            "layers is fine_tune's training.compile_layers",
        ),
    ]
    for change, message in refusals:
        with pytest.raises(ValueError, match=message):
            check_configuration(good | change)


def test_the_command_writes_the_report_and_refuses_a_missing_gpu(windows, tmp_path):
    output = tmp_path / "report"
    assert (
        main(
            [
                "run",
                "--windows",
                str(windows),
                "--device",
                "cpu",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    report = json.loads(output.with_suffix(".json").read_text())
    assert len(report["results"]) == 3
    assert output.with_suffix(".md").read_text().startswith(report["machine"]["cpu"])

    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            main(["run", "--windows", str(windows), "--device", "cuda"])
    with pytest.raises(SystemExit):
        main(["run", "--windows", str(tmp_path / "absent.pt")])


def test_layers_compiled_in_place_share_one_graph(windows):
    """Each encoder layer compiled in place: the two layers run one graph, and
    nothing compiles again while the steps are timed."""
    from extractive_qa.bench.gpu_steps import measure_configuration

    payload = torch.load(windows, weights_only=True)
    payload["shape"] = payload["shape"] | {"num_hidden_layers": 2}
    payload["gpu"] = payload["gpu"] | {"profile_steps": 0}
    configuration = {
        "mode": "predict",
        "precision": "fp32",
        "attention": "sdpa",
        "compile": True,
        "compile_scope": "layers",
        "batch_size": 4,
    }
    result = measure_configuration(
        configuration, payload, torch.device("cpu"), None, None
    )
    torch._dynamo.reset()

    assert result["sequences_per_second"] > 0
    # Two layers, one graph: they share it, and neither broke it in two.
    assert result["compile"] == {"graphs": 1, "frames_compiled_while_timed": 0}
    assert "profile" not in result

    # Only the layers are compiled: the model itself is what the steps call.
    from extractive_qa.bench.electra_base import base_model
    from extractive_qa.bench.gpu_steps import compile_for

    model = base_model(payload["shape"], "sdpa", seed=1)
    assert compile_for(model, configuration) is model
    assert all(
        layer._compiled_call_impl is not None for layer in model.electra.encoder.layer
    )
    assert model._compiled_call_impl is None
    torch._dynamo.reset()


def test_the_optimizers_operators_count_as_optimizer_work_on_the_cpu():
    """AdamW's square root is an ordinary operator; inside the optimizer's step
    it is the optimizer's work, and the model's own operators are not."""
    from extractive_qa.bench.gpu_profile import category, work_done

    parameter = torch.nn.Parameter(torch.ones(64))
    optimizer = torch.optim.AdamW([parameter], foreach=False)
    parameter.grad = torch.ones(64)
    with torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU]
    ) as profiler:
        optimizer.step()
        (parameter * 2).sum()

    work = work_done(profiler.events(), torch.device("cpu"))
    kinds = {(row.name, row.kind) for row in work}
    assert category("aten::sqrt") != "optimizer"
    assert ("aten::sqrt", "optimizer") in kinds
    assert ("aten::sum", category("aten::sum")) in kinds


def test_on_a_gpu_kernels_are_counted_and_marked_ranges_are_not():
    """The profiler's step, the optimizer's step and inductor's graphs are also
    ranges on the GPU's timeline, spanning kernels counted already; a launching
    operator on the CPU holds the same time again."""
    from torch.autograd import DeviceType
    from torch.autograd.profiler_util import FunctionEvent

    from extractive_qa.bench.gpu_profile import summarise, work_done

    def event(number, name, start, end, device_type, annotation=False):
        return FunctionEvent(
            id=number,
            name=name,
            thread=0,
            start_us=start,
            end_us=end,
            use_device="cuda",
            device_type=device_type,
            is_user_annotation=annotation,
        )

    events = [
        event(1, "ProfilerStep#1", 0, 1000, DeviceType.CUDA, annotation=True),
        event(2, "Optimizer.step#AdamW.step", 700, 900, DeviceType.CUDA, True),
        event(3, "aten::mm", 0, 400, DeviceType.CPU),
        event(4, "sm90_xmma_gemm_bf16bf16_bf16f32", 0, 400, DeviceType.CUDA),
        event(5, "sm90_xmma_gemm_bf16bf16_bf16f32", 400, 600, DeviceType.CUDA),
        event(
            6,
            "multi_tensor_apply_kernel<FusedAdamMathFunctor>",
            700,
            850,
            DeviceType.CUDA,
        ),
        event(7, "direct_copy_kernel_cuda", 600, 650, DeviceType.CUDA),
    ]
    work = work_done(events, torch.device("cuda"))
    assert {(row.name, row.kind, row.microseconds, row.calls) for row in work} == {
        ("sm90_xmma_gemm_bf16bf16_bf16f32", "matrix products", 600.0, 2),
        ("multi_tensor_apply_kernel<FusedAdamMathFunctor>", "optimizer", 150.0, 1),
        ("direct_copy_kernel_cuda", "copies", 50.0, 1),
    }
    profile = summarise(work, 1, 0.001, 2, torch.device("cuda"))
    assert profile["busy_ms"] == 0.8
    assert profile["busy_share_of_step"] == 0.8
    assert [row["name"] for row in profile["top"]] == [
        "sm90_xmma_gemm_bf16bf16_bf16f32",
        "multi_tensor_apply_kernel<FusedAdamMathFunctor>",
    ]


def test_a_failed_profile_keeps_the_configurations_timing(windows):
    """profile_steps below 1 cannot profile (the check before a run refuses it;
    a hand-written windows file can still hold it): the timing is kept."""
    from extractive_qa.bench.gpu_steps import measure_configuration

    payload = torch.load(windows, weights_only=True)
    payload["gpu"] = payload["gpu"] | {"profile_steps": -1}
    result = measure_configuration(
        TINY_GPU["configurations"][1], payload, torch.device("cpu"), None, None
    )
    assert result["sequences_per_second"] > 0
    assert result["profile_error"].startswith("ValueError(")
    assert "profile" not in result
