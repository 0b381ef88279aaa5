"""push_to_hub: off by default; switched on without a token it stops before any
network call, and the message never contains a token."""

from __future__ import annotations

import pytest

from extractive_qa.pipelines.sharing.nodes import push_to_hub
from extractive_qa.qa_model import QAModel
from extractive_qa.sharing import HubCredentials, MissingHubTokenError, hub_token


@pytest.fixture
def qa_model(korean_tokenizer, tiny_qa_model) -> QAModel:
    return QAModel(model=tiny_qa_model, tokenizer=korean_tokenizer)


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection fails the test: pushing must not be attempted.
    No token either, unless the test sets one."""
    monkeypatch.delenv("HF_TOKEN", raising=False)

    def refuse(*args, **kwargs):
        raise AssertionError("push_to_hub tried to open a network connection")

    monkeypatch.setattr("socket.socket.connect", refuse)
    monkeypatch.setattr("socket.create_connection", refuse)


def test_off_by_default_does_nothing(qa_model, no_network, caplog):
    caplog.set_level("INFO")
    push_to_hub(qa_model, {"push_to_hub": False, "repo_id": None})
    assert "stays local" in caplog.text


def test_on_without_a_token_stops_before_the_network(qa_model, no_network):
    hub = {"push_to_hub": True, "repo_id": "someone/korquad-electra"}
    with pytest.raises(MissingHubTokenError, match="HF_TOKEN") as error:
        push_to_hub(qa_model, hub)
    assert "someone/korquad-electra" in str(error.value)
    assert "credentials.yml" in str(error.value)


def test_on_without_a_repository_id_says_so(qa_model, no_network, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_x")
    with pytest.raises(ValueError, match="hub.repo_id is None"):
        push_to_hub(qa_model, {"push_to_hub": True, "repo_id": None})


def test_credentials_token_reaches_the_client_unless_the_environment_has_one(
    monkeypatch,
):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    HubCredentials().after_catalog_created({})
    assert hub_token() == ""
    HubCredentials().after_catalog_created({"huggingface": {"token": "hf_from_file"}})
    assert hub_token() == "hf_from_file"
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    HubCredentials().after_catalog_created({"huggingface": {"token": "hf_from_file"}})
    assert hub_token() == "hf_from_env"
