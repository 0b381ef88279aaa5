"""Share the fine-tuned model on the Hugging Face Hub, when asked to."""

from __future__ import annotations

import logging
from typing import Any

from extractive_qa.qa_model import QAModel
from extractive_qa.sharing import MissingHubTokenError, hub_token, missing_token_message

logger = logging.getLogger(__name__)


def push_to_hub(fine_tuned_model: QAModel, hub: dict[str, Any]) -> None:
    """Fine-tuned model -> the hub repository ``hub.repo_id`` (off by default)."""
    if not hub.get("push_to_hub"):
        logger.info("hub.push_to_hub is false: the model stays local")
        return
    repo_id = hub.get("repo_id")
    if not repo_id or "/" not in str(repo_id):
        raise ValueError(
            f"hub.repo_id is {repo_id!r}; with hub.push_to_hub true it must name "
            "the repository as 'user/name' or 'organisation/name' "
            "(conf/base/parameters_hub.yml or --params=hub.repo_id=...)."
        )
    # Checked before anything touches the network.
    token = hub_token()
    if not token:
        raise MissingHubTokenError(missing_token_message(repo_id))
    private = hub["private"]
    fine_tuned_model.model.push_to_hub(repo_id, token=token, private=private)
    fine_tuned_model.tokenizer.push_to_hub(repo_id, token=token, private=private)
    logger.info("pushed the fine-tuned model and tokenizer to %s", repo_id)
