"""Where one benchmark step's time goes: ``torch.profiler`` over a few steps.

Utilisation says how much of the GPU's peak a step reaches, not what the rest
of the step does. This module runs a few more steps under the profiler and
sorts their kernel time into kinds of work: the matrix products, attention,
kernels inductor fused, layer norms, the optimizer, copies, the loss and the
rest (GELU, dropout, residual sums, the embedding gather). It also gives how
much of the step the GPU was busy at all. The rest of the step is the host
launching work and waiting for it: faster kernels do not shorten it; fewer
launches (fusion, CUDA graphs) do.

On a GPU the kernels are counted (the operators that launch them would count
the same time twice, and so would the ranges the profiler, the optimizer and
inductor mark on the GPU's timeline); on the CPU each operator's own time is,
profiler costs included, so there the busy share is not given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import torch
from torch.autograd import DeviceType

# Checked in this order: the loss's log-softmax is not attention's softmax (on
# the CPU; a GPU's softmax kernels do not say which it is, and the loss's is
# small), an attention kernel's name can carry "cutlass" or "gemm" in its
# template arguments, and inductor's matrix-product templates are Triton kernels.
CATEGORIES = (
    ("loss", ("log_softmax", "logsoftmax", "nll_loss", "cross_entropy")),
    ("attention", ("flash", "fmha", "attention", "scaled_dot_product", "softmax")),
    ("optimizer", ("adam", "multi_tensor", "foreach")),
    (
        "matrix products",
        ("gemm", "nvjet", "xmma", "cutlass", "cublas", "aten::mm", "aten::addmm")
        + ("aten::bmm", "aten::baddbmm", "matmul", "triton_tem"),
    ),
    ("fused by inductor", ("triton", "compiledfxgraph")),
    ("layer norm", ("layer_norm", "layernorm")),
    # Autocast's casts are copy kernels on a GPU and aten::copy_ on the CPU.
    ("copies", ("memcpy", "memset", "aten::copy_", "aten::_to_copy", "copy_kernel")),
)
OTHER = "other (GELU, dropout, sums, embedding)"


class Work(NamedTuple):
    """One kernel or operator over the profiled steps."""

    name: str
    kind: str
    microseconds: float
    calls: int


def category(name: str) -> str:
    """The kind of work a kernel or operator of this name does."""
    lowered = name.lower()
    for label, needles in CATEGORIES:
        if any(needle in lowered for needle in needles):
            return label
    return OTHER


def profile_steps(
    step: Callable[[dict], None],
    batches: list[dict],
    device: torch.device,
    step_seconds: float,
    top: int,
) -> dict[str, Any]:
    """Run ``step`` on each of ``batches`` under the profiler, the first one
    untraced (the profiler's own start-up would land in it); per traced step:
    the time of each kind of work, the ``top`` kernels (or operators), and the
    share of ``step_seconds`` (the unprofiled step's time) the device was busy.
    """
    if len(batches) < 2:
        raise ValueError("profile_steps needs a warm-up batch and at least one more")
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    traced = len(batches) - 1
    schedule = torch.profiler.schedule(wait=0, warmup=1, active=traced, repeat=1)
    with torch.profiler.profile(activities=activities, schedule=schedule) as profiler:
        for batch in batches:
            step(batch)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            profiler.step()
    work = work_done(profiler.events(), device)
    return summarise(work, traced, step_seconds, top, device)


def work_done(events: Iterable[Any], device: torch.device) -> list[Work]:
    """Each kernel (on a GPU) or operator (on the CPU) in the profiler's
    ``events``, with its own time and calls summed."""
    totals: dict[tuple[str, str], Work] = {}
    for event in events:
        if device.type == "cuda":
            # Ranges marked on the GPU's timeline (the profiler's step, the
            # optimizer's step, inductor's graphs) span kernels counted already.
            if event.device_type != DeviceType.CUDA or getattr(
                event, "is_user_annotation", False
            ):
                continue
            kind, microseconds = category(event.name), event.self_device_time_total
        else:
            # The step marker's own time is the profiler's, not the model's.
            if event.device_type != DeviceType.CPU or event.name.startswith(
                "ProfilerStep"
            ):
                continue
            kind, microseconds = _cpu_category(event), event.self_cpu_time_total
        before = totals.get((event.name, kind), Work(event.name, kind, 0.0, 0))
        totals[(event.name, kind)] = before._replace(
            microseconds=before.microseconds + microseconds, calls=before.calls + 1
        )
    return [work for work in totals.values() if work.microseconds > 0]


def _cpu_category(event: Any) -> str:
    """On the CPU the optimizer's arithmetic runs as ordinary operators (sqrt,
    div, mul) inside its ``Optimizer.step`` range, and is counted there."""
    parent = event.cpu_parent
    while parent is not None:
        if parent.name.startswith("Optimizer.step"):
            return "optimizer"
        parent = parent.cpu_parent
    return category(event.name)


def summarise(
    work: list[Work],
    steps: int,
    step_seconds: float,
    top: int,
    device: torch.device,
) -> dict[str, Any]:
    """Per-step milliseconds by kind of work and by kernel or operator."""
    rows = sorted(
        (
            (name, kind, microseconds / steps / 1000, calls / steps)
            for name, kind, microseconds, calls in work
        ),
        key=lambda row: row[2],
        reverse=True,
    )
    busy_ms = sum(row[2] for row in rows)
    by_kind: dict[str, float] = {}
    for _, kind, ms, _ in rows:
        by_kind[kind] = by_kind.get(kind, 0.0) + ms
    step_ms = step_seconds * 1000
    return {
        "steps": steps,
        "counted": "device kernels" if device.type == "cuda" else "CPU operators",
        "step_ms": round(step_ms, 3),
        "busy_ms": round(busy_ms, 3),
        # On the CPU, operator times carry the profiler's own cost, which the
        # unprofiled step did not pay: no share of it is given there.
        "busy_share_of_step": (
            round(busy_ms / step_ms, 3) if device.type == "cuda" else None
        ),
        "categories": [
            {
                "category": kind,
                "ms_per_step": round(ms, 3),
                "share_of_busy": round(ms / busy_ms, 3),
            }
            for kind, ms in sorted(
                by_kind.items(), key=lambda item: item[1], reverse=True
            )
        ],
        "top": [
            {
                "name": name[:160],
                "category": kind,
                "ms_per_step": round(ms, 3),
                "calls_per_step": round(calls, 1),
                "share_of_busy": round(ms / busy_ms, 3),
            }
            for name, kind, ms, calls in rows[:top]
        ],
    }
