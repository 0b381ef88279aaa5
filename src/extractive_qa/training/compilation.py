"""``torch.compile`` for fine-tuning, one encoder layer at a time
(``training.compile_layers``).

Each layer of the encoder is compiled in place (``nn.Module.compile``), not
the model as a whole. The layers share their code, so one graph serves them
all and compiles in a fraction of the time; inductor fuses each layer's
dropout, residual sum, layer norm and GELU. Compiled whole, the model's
attention was lowered to a materialised softmax and ran slower than not
compiled at all (docs/benchmark.md). Compiling in place leaves the parameter
names alone, so checkpoints and the saved model are those of the plain model.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

# What training.compile_layers takes besides true and false: the inductor
# modes that keep the training step outside CUDA graphs. (torch is imported
# where it is used: the parameter check reads this before any node runs.)
COMPILE_LAYER_MODES = ("default", "max-autotune-no-cudagraphs")


def encoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The encoder's layers of a BERT-like model (``base_model.encoder.layer``)."""
    import torch

    encoder = getattr(model.base_model, "encoder", None)
    layers = getattr(encoder, "layer", None)
    if not isinstance(layers, torch.nn.ModuleList) or len(layers) == 0:
        raise ValueError(
            f"training.compile_layers: {type(model).__name__} has no list of "
            "encoder layers at base_model.encoder.layer to compile; set "
            "training.compile_layers: false for this model."
        )
    return layers


def compile_encoder_layers(model: torch.nn.Module, setting: bool | str) -> int:
    """Compile each encoder layer of ``model`` in place as ``setting`` says
    (false: none; true: inductor's default mode; or one of
    ``COMPILE_LAYER_MODES``); the number of layers compiled."""
    if setting is False:
        return 0
    if setting is not True and setting not in COMPILE_LAYER_MODES:
        raise ValueError(
            f"training.compile_layers = {setting!r}: use true, false or one of "
            f"{', '.join(COMPILE_LAYER_MODES)}."
        )
    options = {} if setting is True else {"mode": setting}
    layers = encoder_layers(model)
    for layer in layers:
        layer.compile(**options)
    logger.info(
        "compiling each of the %d encoder layers (%s mode) on their first step",
        len(layers),
        options.get("mode", "default"),
    )
    return len(layers)
