"""Hub credentials for ``push_to_hub``: found once per run, never logged or written.

The token comes from the ``HF_TOKEN`` environment variable, or from the run
environment's ``credentials.yml`` (``huggingface: {token: ...}``), which a hook
copies into ``HF_TOKEN`` for the Hugging Face client when that is unset, or from
a ``huggingface-cli login``.
"""

from __future__ import annotations

import os
from typing import Any

from huggingface_hub import get_token
from kedro.framework.hooks import hook_impl


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


def hub_token() -> str:
    """The token ``push_to_hub`` will use: ``HF_TOKEN``, else the one a
    ``huggingface-cli login`` stored; '' when there is none."""
    return get_token() or ""


class HubCredentials:
    """Hand the credentials file's hub token to the Hugging Face client through
    ``HF_TOKEN`` (never to the catalog, so no credential is drawn as a dataset),
    and stop a run that would push without one before any node runs (not after
    an hour of training)."""

    @hook_impl
    def after_catalog_created(self, conf_creds: dict[str, Any]) -> None:
        token = ((conf_creds or {}).get("huggingface") or {}).get("token")
        if token and not os.environ.get("HF_TOKEN"):
            os.environ["HF_TOKEN"] = str(token)

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        if "params:hub" not in pipeline.inputs():
            return
        hub = catalog.load("params:hub")
        if hub.get("push_to_hub") and not hub_token():
            raise MissingHubTokenError(missing_token_message(hub.get("repo_id")))
