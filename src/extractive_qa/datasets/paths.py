"""Where a dataset's folder is: its protocol and its path without it."""

from __future__ import annotations

import os

import fsspec
from kedro.io.core import Version, get_protocol_and_path


def protocol_and_path(
    path: str | os.PathLike, version: Version | None = None
) -> tuple[str, str]:
    """Kedro's protocol for ``path`` and the path without it.

    Kedro drops the host part of URLs outside its cloud list, turning
    memory://bucket/t into /t; for those the path is fsspec's whole path.
    """
    protocol, resolved = get_protocol_and_path(path, version)
    if protocol != "file":
        resolved = fsspec.core.strip_protocol(str(path))
    return protocol, resolved
