"""Every Kedro hook of the project, registered in ``settings.py``.

The hooks in this package exist only as hooks; the others live beside the
logic they call (freshness stamps, parameter checks, the run lock, the hub
token, torchrun saves) and are gathered here, so that one import lists them.
kedro-mlflow's ``MlflowHook`` is among them.
"""

from kedro_mlflow.framework.hooks import MlflowHook

from extractive_qa.distributed import MainProcessSaves
from extractive_qa.freshness import StampHooks
from extractive_qa.hooks.hub import HubAccessCheck, HubUnreachableError, hub_needs
from extractive_qa.hooks.raw_sources import RawSourceCheck
from extractive_qa.hooks.run import CheckpointCleanup, FailedNode, NodeTimer
from extractive_qa.hooks.tracking import RunRecords, TrackingStore
from extractive_qa.parameter_checks import ParameterCheck
from extractive_qa.run_lock import StorageLock
from extractive_qa.sharing import HubCredentials

__all__ = [
    "CheckpointCleanup",
    "FailedNode",
    "HubAccessCheck",
    "HubCredentials",
    "HubUnreachableError",
    "MainProcessSaves",
    "MlflowHook",
    "NodeTimer",
    "ParameterCheck",
    "RawSourceCheck",
    "RunRecords",
    "StampHooks",
    "StorageLock",
    "TrackingStore",
    "hub_needs",
]
