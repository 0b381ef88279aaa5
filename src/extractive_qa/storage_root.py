"""The storage root (``--params=storage=...``): its spelling, checked with the
parameters, and whether its bucket can be reached, checked before the run
takes the root's lock.

A run never creates a bucket: a typo in its name would otherwise become a new,
empty bucket that the stages write into. A bucket that is missing, out of reach
or without credentials is named with the setting, the endpoint and the fix.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import fsspec

logger = logging.getLogger(__name__)

# Filesystems whose first path component is a bucket (or container).
BUCKET_PROTOCOLS = frozenset(
    {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oci", "oss"}
)
# What S3 accepts as a bucket name (as do S3-compatible stores).
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# A URL's protocol and the slashes after it (one at least: "run:1" is a
# folder); one letter is a Windows drive.
URL_START = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):(/+)")
STORAGE_OPTION = "--params=storage"
S3_PROTOCOLS = frozenset({"s3", "s3a"})
# Where a run's S3 entries take their keys and endpoint from, and where a
# command that reads no configuration (the answer command's --model) does.
CREDENTIALS = (
    "the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, or "
    "the 'storage' entry of conf/<env>/credentials.yml (key, secret)"
)
ENDPOINT = (
    "the endpoint (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3, or "
    "client_kwargs.endpoint_url in the 'storage' entry of "
    "conf/<env>/credentials.yml)"
)
CREDENTIALS_OUTSIDE_A_RUN = (
    "the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables (or ~/.aws)"
)
ENDPOINT_OUTSIDE_A_RUN = "the endpoint (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3)"


def _protocols(fs: Any) -> tuple[str, ...]:
    return fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)


def _is_s3(fs: Any) -> bool:
    return bool(S3_PROTOCOLS.intersection(_protocols(fs)))


def _advice(fs: Any, option: str) -> tuple[str, str]:
    """Where the keys and the endpoint of ``fs`` come from, for the command
    line ``option`` that gave the URL."""
    run = option == STORAGE_OPTION
    if _is_s3(fs):
        if run:
            return CREDENTIALS, ENDPOINT
        return CREDENTIALS_OUTSIDE_A_RUN, ENDPOINT_OUTSIDE_A_RUN
    protocol = _protocols(fs)[0]
    credentials = f"the credentials the {protocol}:// filesystem reads"
    if run:
        credentials += " (or the 'storage' entry of conf/<env>/credentials.yml)"
    return credentials, f"the {protocol}:// service address"


class StorageRootError(RuntimeError):
    """The storage root's bucket is missing or out of reach, or there are no
    credentials for it."""


def storage_url_problem(storage: str) -> str | None:
    """What is wrong with how ``storage`` is written, or None: a URL needs
    ``://`` after a lower-case protocol fsspec knows, a bucket where its
    filesystem has buckets, and no trailing slash (the model folders and the
    checkpoints would be written under another key than the tables)."""
    start = URL_START.match(storage)
    if start is None or "::" in storage:
        return None  # a local folder, or a chain fsspec reads (simplecache::s3://)
    protocol, slashes = start.groups()
    rest = storage[start.end() :]
    if slashes == "/":
        return f"a URL needs '://' after its protocol; write '{protocol}://{rest}'"
    if protocol != protocol.lower():
        return f"protocols are lower case; write '{protocol.lower()}://{rest}'"
    if protocol not in fsspec.available_protocols():
        return (
            f"fsspec knows no protocol {protocol!r}; use s3://, gs://, abfs:// "
            "or a local folder"
        )
    if storage.endswith("/") and rest.strip("/"):
        return f"drop the trailing '/': write {storage.rstrip('/')!r}"
    if "//" in rest and protocol not in ("file", "local"):
        single = storage[: start.end()] + re.sub("/+", "/", rest)
        return (
            "an empty folder name ('//') puts the models under another key than "
            f"the tables; write '{single}'"
        )
    if protocol in BUCKET_PROTOCOLS:
        bucket = rest.split("/", 1)[0]
        if not bucket:
            return f"names no bucket; write {protocol}://<bucket>/<prefix>"
        if protocol in ("s3", "s3a") and (
            not S3_BUCKET.fullmatch(bucket) or ".." in bucket
        ):
            return (
                f"{bucket!r} is not an S3 bucket name (3 to 63 lower-case "
                "letters, digits, '.' and '-', starting and ending with a letter "
                "or digit)"
            )
    return None


def _setting(fs: Any, root: str, option: str) -> str:
    """How the command line gave ``root``: ``storage=URL`` or ``OPTION URL``."""
    given = fs.unstrip_protocol(root.rstrip("/"))
    return f"storage={given}" if option == STORAGE_OPTION else f"{option} {given}"


def access_denied(
    fs: Any, root: str, error: BaseException, option: str = STORAGE_OPTION
) -> StorageRootError:
    """The error for a root the credentials may not read: wrong keys, keys of
    another account or endpoint, or keys without rights under the root, named
    as the command line ``option`` gave it."""
    url = fs.unstrip_protocol(root.rstrip("/"))
    rights = "read and write" if option == STORAGE_OPTION else "read"
    credentials, endpoint = _advice(fs, option)
    return StorageRootError(
        f"{_setting(fs, root, option)}: access denied at {_endpoint(fs)} "
        f"({error}). The credentials are wrong, belong to another account or "
        f"endpoint, or may not {rights} under {url}. Check {credentials}, and "
        f"{endpoint}."
    )


def _endpoint(fs: Any) -> str:
    """Where ``fs`` sends its requests, as far as it says."""
    given = (getattr(fs, "client_kwargs", None) or {}).get("endpoint_url")
    given = given or getattr(fs, "endpoint_url", None)
    if _is_s3(fs):
        given = given or os.environ.get("AWS_ENDPOINT_URL_S3")
        given = given or os.environ.get("AWS_ENDPOINT_URL")
    return f"endpoint {given}" if given else "the provider's default endpoint"


def is_bucket_store(fs: Any) -> bool:
    """Whether ``fs`` is an object store, whose paths start with a bucket."""
    return bool(BUCKET_PROTOCOLS.intersection(_protocols(fs)))


def refused_by_store(fs: Any, error: BaseException) -> bool:
    """Whether ``error`` is the object store behind ``fs`` refusing the
    credentials, not a local file refusing access (which names its path: a
    remote model is read from a local copy)."""
    return (
        isinstance(error, PermissionError)
        and error.filename is None
        and is_bucket_store(fs)
    )


def check_bucket(fs: Any, root: str, option: str = STORAGE_OPTION) -> None:
    """Raise ``StorageRootError`` unless the bucket of ``root`` (a path of
    ``fs``, without its protocol) exists and can be read, naming the command
    line ``option`` that gave it. Filesystems without buckets (a local disk)
    are not checked."""
    if not is_bucket_store(fs):
        return
    bucket = root.strip("/").split("/", 1)[0]
    url = fs.unstrip_protocol(bucket)
    setting = _setting(fs, root, option)
    credentials, endpoint = _advice(fs, option)
    try:
        fs.info(bucket)
    except FileNotFoundError:
        example = f" (e.g. `aws s3 mb {url}`)" if _is_s3(fs) else ""
        raise StorageRootError(
            f"{setting}: the bucket {url} does not exist at {_endpoint(fs)}. A run "
            f"creates no bucket; create it{example}, or correct the bucket's "
            f"name in {option}=... ."
        ) from None
    except PermissionError:
        # Reading the bucket itself needs a right that keys scoped to a prefix
        # lack; the run may still write under its prefix.
        logger.debug("%s: the bucket %s cannot be read; not checked", setting, url)
    except Exception as error:  # noqa: BLE001 - each client has its own errors
        kind = type(error).__name__
        if kind in ("NoCredentialsError", "PartialCredentialsError"):
            raise StorageRootError(
                f"{setting}: no credentials for {url} ({error}). Give them in "
                f"{credentials}."
            ) from None
        raise StorageRootError(
            f"{setting}: {url} cannot be reached at {_endpoint(fs)} ({kind}: "
            f"{error}). Check {endpoint} and {credentials}."
        ) from None
