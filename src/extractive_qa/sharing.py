"""Hub credentials for ``push_to_hub``: found once per run, never logged or written.

The token comes from ``conf/local/credentials.yml`` (``huggingface: {token: ...}``)
or, failing that, the ``HF_TOKEN`` environment variable. A hook hands it to the
pipeline as the in-memory catalog entry ``hub_token`` (an empty string when there
is none), so the node gets it as an argument instead of reading files itself.
"""

from __future__ import annotations

import os
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset

HUB_TOKEN_DATASET = "hub_token"


class MissingHubTokenError(RuntimeError):
    """push_to_hub is on and no Hugging Face token was found."""


def missing_token_message(repo_id: str | None) -> str:
    """What to do when pushing to ``repo_id`` finds no token."""
    return (
        f"hub.push_to_hub is true (repository {repo_id!r}) but no Hugging Face "
        "token was found. Set the HF_TOKEN environment variable, or put\n"
        "  huggingface:\n    token: hf_...\n"
        "in conf/local/credentials.yml (git-ignored), or run with "
        "--params=hub.push_to_hub=false."
    )


def find_hub_token(conf_creds: dict[str, Any]) -> str:
    """The token from the credentials config, else ``HF_TOKEN``, else ''."""
    token = (conf_creds.get("huggingface") or {}).get("token")
    return str(token or os.environ.get("HF_TOKEN") or "")


class HubCredentials:
    """Put the hub token in the catalog; stop a run that would push without one
    before any node runs (not after an hour of training)."""

    def __init__(self) -> None:
        self._token = ""

    @hook_impl
    def after_catalog_created(self, catalog: Any, conf_creds: dict[str, Any]) -> None:
        self._token = find_hub_token(conf_creds or {})
        if HUB_TOKEN_DATASET in catalog:
            # Keeps the entry's kedro-viz metadata from catalog.yml.
            catalog.save(HUB_TOKEN_DATASET, self._token)
        else:
            catalog[HUB_TOKEN_DATASET] = MemoryDataset(data=self._token)

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        if HUB_TOKEN_DATASET not in pipeline.inputs():
            return
        hub = catalog.load("params:hub")
        if hub.get("push_to_hub") and not self._token:
            raise MissingHubTokenError(missing_token_message(hub.get("repo_id")))
