"""Stamps on persisted artifacts, and whether each is what the current
configuration would produce.

Every artifact a node saves gets a stamp in a sidecar file beside it,
``.<name>.stamp.json``, written through the artifact's own filesystem (so it
travels with it on any fsspec storage). A stamp records:

- the node that made it and the node's code version (package version and a
  hash of the node's module, and of the module its work is done in when the
  node names one with ``code_in``);
- the parameters the node read;
- the digest of each input: the stamp digest of a persisted input, a content
  fingerprint of a raw source (file bytes, or the object store's ETag).

The stamp's digest is a hash of those. An artifact is **fresh** when its
recorded digest equals the digest the current configuration gives for it,
worked out from the raw sources and parameters down the pipeline; **stale**
otherwise (with the first setting that differs, old and new value); **missing**
when it is not there (or saved in the other table format). A raw source that is
not on this machine (the report machine has no raw files) counts as it was
recorded, and what is made from it directly is **unverified**.

``stamps`` reads and writes one stamp; ``params`` says which parameters a
stamp records; ``provenance`` works out the expected
stamps and each entry's state; ``hooks`` checks and stamps during a run.
"""

from extractive_qa.freshness.hooks import StampHooks
from extractive_qa.freshness.params import changed_settings
from extractive_qa.freshness.provenance import (
    EntryState,
    MissingInputError,
    Provenance,
    nodes_to_run,
    run_command,
    stale_message,
)
from extractive_qa.freshness.stamps import (
    CODE_MODULE,
    UNSTAMPED,
    Stamp,
    artifact_location,
    code_in,
    code_version,
    is_workspace,
    read_stamp,
    remove_stamp,
    source_fingerprint,
    stamp_path,
    write_stamp,
)

__all__ = [
    "CODE_MODULE",
    "UNSTAMPED",
    "EntryState",
    "MissingInputError",
    "Provenance",
    "Stamp",
    "StampHooks",
    "artifact_location",
    "changed_settings",
    "code_in",
    "code_version",
    "is_workspace",
    "nodes_to_run",
    "read_stamp",
    "remove_stamp",
    "source_fingerprint",
    "run_command",
    "stale_message",
    "stamp_path",
    "write_stamp",
]
