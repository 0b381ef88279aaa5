"""Project settings: hooks and configuration layout."""

from kedro.config import OmegaConfigLoader

from extractive_qa.distributed import MainProcessSaves
from extractive_qa.hooks import HubAccessCheck, NodeTimer, RawSourceCheck
from extractive_qa.parameter_checks import ParameterCheck
from extractive_qa.sharing import HubCredentials

HOOKS = (
    ParameterCheck(),
    HubAccessCheck(),
    RawSourceCheck(),
    NodeTimer(),
    HubCredentials(),
    MainProcessSaves(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # conf/korquad overrides single knobs (model.checkpoint) and keeps the rest.
    "merge_strategy": {"parameters": "soft"},
}
