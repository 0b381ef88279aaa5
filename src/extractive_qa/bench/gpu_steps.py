"""One ``bench.gpu`` configuration measured: ``make bench-gpu``'s timed steps.

A configuration names the mode (a training step or a prediction batch), the
precision, the attention kernel, whether and how ``torch.compile`` runs, and
the batch size. Its steps run after ``warmup_steps`` untimed ones, which hold
the compilation; the GPU is drained at each boundary, so queued work is
counted where it belongs. A compiled configuration also reports how many
forward graphs it compiled (more than one per compiled model or layer means a
graph break) and any frame compiled again while it was being timed (which
would put compilation inside the timed steps). The ceilings utilisation is
read against are here too: the datasheet's peak and a measured matrix product.

``compile_scope: layers`` compiles each encoder layer in place rather than the
whole model. The layers share their code, so one graph serves all twelve: it
compiles in a fraction of the time, which leaves room for inductor's slower
autotuning modes.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import torch
from torch._dynamo.utils import counters

from extractive_qa.bench.electra_base import base_model
from extractive_qa.bench.gpu_profile import profile_steps
from extractive_qa.training.compilation import compile_encoder_layers

logger = logging.getLogger(__name__)

TOKEN_KEYS = ("input_ids", "token_type_ids")
LABEL_KEYS = ("start_positions", "end_positions")


def _step_context(configuration: dict[str, Any], device: torch.device):
    """A fresh context for one step: autocast for bf16 and fp16, and SDPA held
    to the flash kernel for ``attention: flash``. TF32 is a global switch."""
    precision = configuration["precision"]
    if device.type == "cuda":
        tf32 = precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    stack = contextlib.ExitStack()
    if precision in ("bf16", "fp16"):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        stack.enter_context(torch.autocast(device.type, dtype=dtype))
    if configuration["attention"] == "flash":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        stack.enter_context(sdpa_kernel(SDPBackend.FLASH_ATTENTION))
    return stack


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _batches(
    tensors: dict[str, torch.Tensor], keys: tuple[str, ...], size: int, count: int
) -> list[dict[str, torch.Tensor]]:
    """``count`` batches of ``size`` windows, cycling through the windows (as
    often as needed when there are fewer windows than one batch)."""
    total = len(tensors["input_ids"])
    batches = []
    for number in range(count):
        rows = (torch.arange(size) + number * size) % total
        rows = rows.to(tensors["input_ids"].device)
        batches.append({key: tensors[key].index_select(0, rows) for key in keys})
    return batches


def _compiled_frames() -> int:
    # Every frame Dynamo tried to compile, those that failed included.
    return counters["frames"]["total"]


def _timed_steps(step, batches: list[dict], warmup: int, device: torch.device):
    """Seconds of the warm-up steps and of the timed ones, and the frames
    compiled during the timed ones."""
    synchronize(device)
    began = time.perf_counter()
    for batch in batches[:warmup]:
        step(batch)
    synchronize(device)
    warmed = time.perf_counter()
    frames = _compiled_frames()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for batch in batches[warmup:]:
        step(batch)
    synchronize(device)
    seconds = time.perf_counter() - warmed
    return warmed - began, seconds, _compiled_frames() - frames


def compile_for(
    model: torch.nn.Module, configuration: dict[str, Any]
) -> torch.nn.Module | Callable[..., Any]:
    """What the steps call: the model itself, the model compiled whole, or the
    model with each encoder layer compiled in place."""
    setting = configuration["compile"]
    if setting is False:
        return model
    if configuration["compile_scope"] == "layers":
        # What fine_tune's training.compile_layers does.
        compile_encoder_layers(model, setting)
        return model
    return torch.compile(model, **({} if setting is True else {"mode": setting}))


def _compile_report(configuration: dict[str, Any], recompiled: int) -> dict | None:
    """Forward graphs compiled: one whole model or one layer is one graph, and
    more means a graph break (Dynamo's own break counter misses some kinds)."""
    if configuration["compile"] is False:
        return None
    return {
        "graphs": counters["stats"]["unique_graphs"],
        "frames_compiled_while_timed": recompiled,
    }


def measure_configuration(
    configuration: dict[str, Any],
    payload: dict[str, Any],
    device: torch.device,
    peak_tflops: float | None,
    matmul_tflops: float | None,
) -> dict[str, Any]:
    """Speed, GPU memory and (with ``bench.gpu.profile_steps``) the profile of
    one configuration."""
    gpu = payload["gpu"]
    model = base_model(
        payload["shape"], _implementation(configuration), payload["seed"]
    )
    parameters = sum(p.numel() for p in model.parameters())
    model = model.to(device)
    counters.clear()
    runner = compile_for(model, configuration)
    train = configuration["mode"] == "train"
    keys = TOKEN_KEYS + (LABEL_KEYS if train else ())
    tensors = {key: payload[key].to(device=device, dtype=torch.long) for key in keys}
    warmup = gpu["warmup_steps"]
    count = warmup + (gpu["train_steps"] if train else gpu["predict_batches"])
    batches = _batches(tensors, keys, configuration["batch_size"], count)
    if train:
        model.train()
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=5e-5, fused=device.type == "cuda"
        )
        scaler = torch.amp.GradScaler(
            device.type, enabled=configuration["precision"] == "fp16"
        )

        def step(batch):
            with _step_context(configuration, device):
                loss = runner(**batch).loss
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)

        passes = 3
    else:
        model.eval()

        def step(batch):
            with torch.inference_mode(), _step_context(configuration, device):
                runner(**batch)

        passes = 1
    warmup_seconds, seconds, recompiled = _timed_steps(step, batches, warmup, device)
    timed = batches[warmup:]
    sequences = sum(len(batch["input_ids"]) for batch in timed)
    # Every window is full: each of its tokens is a real one.
    tokens = sum(batch["input_ids"].numel() for batch in timed)
    # The usual count: 2 FLOPs per parameter per token forward, twice that
    # backward (6 x parameters in training, 2 x in prediction).
    tflops = 2 * passes * parameters * tokens / seconds / 1e12
    matrix_tflops = (
        matrix_flop_per_token(model, payload["shape"], passes) * tokens / seconds / 1e12
    )
    result = {
        "configuration": configuration,
        "parameters": parameters,
        "warmup_seconds": round(warmup_seconds, 2),
        "sequences_per_second": round(sequences / seconds, 1),
        "real_tokens_per_second": round(tokens / seconds),
        # Four significant figures: a tiny model on a CPU stays above 0.
        "model_tflop_per_second": float(f"{tflops:.4g}"),
        "utilisation_of_datasheet_peak": _share(tflops, peak_tflops),
        "utilisation_of_measured_matmul": _share(tflops, matmul_tflops),
        "matrix_tflop_per_second": float(f"{matrix_tflops:.4g}"),
        "matrix_utilisation_of_datasheet_peak": _share(matrix_tflops, peak_tflops),
        "peak_gpu_mib": peak_gpu_mib(device),
        "compile": _compile_report(configuration, recompiled),
    }
    if gpu["profile_steps"]:
        try:
            result["profile"] = profile_steps(
                step,
                # One more batch than profiled: the profiler's warm-up step.
                [timed[n % len(timed)] for n in range(gpu["profile_steps"] + 1)],
                device,
                seconds / len(timed),
                gpu["profile_top"],
            )
        except Exception as error:  # noqa: BLE001 - the timing above stands
            logger.exception("profiling %s failed", configuration)
            result["profile_error"] = repr(error)[:500]
    return result


def matrix_flop_per_token(
    model: torch.nn.Module, shape: dict[str, Any], passes: int
) -> int:
    """Matrix-product FLOPs per token of a full window: 2 per parameter outside
    the embeddings (a lookup, not a product), plus the attention scores and
    their weighted sum (2 x 2 x window length x hidden size per layer), times
    ``passes`` (3 for forward and backward, 1 for prediction)."""
    embeddings = sum(p.numel() for p in model.electra.embeddings.parameters())
    outside = sum(p.numel() for p in model.parameters()) - embeddings
    attention = (
        4 * shape["num_hidden_layers"] * shape["sequence_length"] * shape["hidden_size"]
    )
    return passes * (2 * outside + attention)


def _implementation(configuration: dict[str, Any]) -> str:
    """transformers' attention implementation: flash is SDPA held to one kernel."""
    return "eager" if configuration["attention"] == "eager" else "sdpa"


def _share(tflops: float, ceiling: float | None) -> float | None:
    return round(tflops / ceiling, 3) if ceiling else None


def peak_gpu_mib(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)


def datasheet_peak(device: torch.device, peaks: dict[str, float]) -> float | None:
    """The dense bf16 peak of the GPU whose name holds one of ``peaks``' keys."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, tflops in peaks.items():
        if key in name:
            return float(tflops)
    logger.warning(
        "no dense bf16 peak for %r in bench.gpu.dense_bf16_peak_tflops; "
        "utilisation against the datasheet is left out.",
        name,
    )
    return None


def matmul_ceiling(device: torch.device, size: int, repeats: int) -> float | None:
    """bf16 TFLOP/s of ``size``-cubed matrix products on random data: the rate
    this GPU reaches in practice, to read utilisation against."""
    if device.type != "cuda" or not size:
        return None
    a = torch.randn(size, size, device=device, dtype=torch.bfloat16)
    b = torch.randn(size, size, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    synchronize(device)
    began = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    seconds = time.perf_counter() - began
    del a, b
    torch.cuda.empty_cache()
    return round(2 * size**3 * repeats / seconds / 1e12, 1)
