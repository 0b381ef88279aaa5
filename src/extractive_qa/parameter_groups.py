"""The base of every parameter group that ``parameter_checks`` validates, and
the model shape two groups share."""

from pydantic import BaseModel, ConfigDict, Field


class Group(BaseModel):
    """A parameter group: no key beyond those declared, and values of the
    declared type as they are (nodes get them as given, so "16" or "inf", which
    `--params` passes as text, must not pass for numbers), finite numbers only."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ModelShape(Group):
    """The size of an ELECTRA-style model built locally (``model.demo`` and
    ``bench.base_size``)."""

    vocab_size: int = Field(ge=1)
    hidden_size: int = Field(ge=1)
    num_hidden_layers: int = Field(ge=1)
    num_attention_heads: int = Field(ge=1)
    intermediate_size: int = Field(ge=1)
    max_position_embeddings: int = Field(ge=1)
