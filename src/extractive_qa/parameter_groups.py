"""The base of every parameter group that ``parameter_checks`` validates."""

from pydantic import BaseModel, ConfigDict


class Group(BaseModel):
    """A parameter group: no key beyond those declared, and values of the
    declared type as they are (nodes get them as given, so "16" or "inf", which
    `--params` passes as text, must not pass for numbers), finite numbers only."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
