"""Project settings: hooks and configuration layout."""

import warnings

from kedro.config import OmegaConfigLoader

from extractive_qa.hooks import (
    CheckpointCleanup,
    FailedNode,
    HubAccessCheck,
    HubCredentials,
    MainProcessSaves,
    MlflowHook,
    NodeTimer,
    ParameterCheck,
    RawSourceCheck,
    RunRecords,
    StampHooks,
    StorageLock,
    TrackingStore,
)

# Kedro calls the hooks of one event in the reverse order of this tuple:
# - the parameters are checked before anything else looks at them;
# - saves are turned off on secondary torchrun ranks before any hook reads the
#   catalog's entries;
# - the storage lock is taken once every check before the run has passed;
# - the tracking store is chosen before kedro-mlflow reads its configuration,
#   and the MLflow run opens after the lock and before RunRecords tags it;
# - the failed node is noted before a hook raises again.
HOOKS = (
    RunRecords(),
    MlflowHook(),
    TrackingStore(),
    StorageLock(),
    HubAccessCheck(),
    RawSourceCheck(),
    NodeTimer(),
    HubCredentials(),
    StampHooks(),
    CheckpointCleanup(),
    MainProcessSaves(),
    ParameterCheck(),
    FailedNode(),
)

# Kedro's own use of a deprecated OmegaConf call warns on every run; nothing
# in this project can act on it.
warnings.filterwarnings("ignore", message="register_new_resolver", category=UserWarning)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # conf/korquad overrides single knobs (model.checkpoint) and keeps the rest.
    "merge_strategy": {"parameters": "soft"},
    # kedro-mlflow's settings (conf/base/mlflow.yml), read by TrackingStore too.
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]},
}
# kedro-mlflow's hook is in HOOKS, where its order is chosen; not twice (its
# distribution is named kedro_mlflow, older releases kedro-mlflow).
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow", "kedro-mlflow")
