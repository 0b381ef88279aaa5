"""The storage root on a real S3 server (moto on 127.0.0.1): a run creates no
bucket, a missing or unreachable one, or missing credentials, are named with
the setting and the fix, and the lock names its s3:// URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import fsspec
import pytest
import s3fs
from fsspec.implementations.memory import MemoryFileSystem
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node

from extractive_qa.bench.storage import moto_server
from extractive_qa.datasets import TokenizerDataset
from extractive_qa.run_lock import LOCK_NAME, RunLock, RunLockedError, StorageLock
from extractive_qa.storage_root import (
    StorageRootError,
    access_denied,
    check_bucket,
    refused_by_store,
)

from .conftest import KEY_CHECKS, S3_KEYS, copy_project, project_command
from .servers import free_port

BUCKET = "root-checks"


@pytest.fixture(scope="module")
def bucket(s3: s3fs.S3FileSystem) -> s3fs.S3FileSystem:
    if not s3.exists(BUCKET):
        s3.mkdir(BUCKET)
    return s3


def client(endpoint: str, **keys: str) -> s3fs.S3FileSystem:
    # A new client each time: s3fs caches instances by their arguments.
    return s3fs.S3FileSystem(
        **keys, client_kwargs={"endpoint_url": endpoint}, skip_instance_cache=True
    )


def test_a_missing_bucket_is_named_and_not_created(s3_endpoint, bucket):
    fs = client(s3_endpoint, **S3_KEYS)
    lock = RunLock(fs, "no-such-bucket/run1")

    with pytest.raises(StorageRootError) as error:
        lock.acquire()

    message = str(error.value)
    assert message.startswith(
        "storage=s3://no-such-bucket/run1: the bucket s3://no-such-bucket does not "
        f"exist at endpoint {s3_endpoint}."
    )
    assert "aws s3 mb s3://no-such-bucket" in message
    bucket.invalidate_cache()
    assert "no-such-bucket" not in bucket.ls("")


def make_tokenizer() -> None:
    return None


def test_a_run_on_a_missing_bucket_stops_before_any_node(s3_endpoint, bucket):
    """The hook finds the filesystem, with its credentials and endpoint,
    through the pipeline's catalog entries under the root."""
    root = "s3://typo-bucket/run1"
    catalog = DataCatalog({"parameters": MemoryDataset({"storage": root})})
    catalog["tokenizer"] = TokenizerDataset(
        filepath=f"{root}/06_models/tokenizer",
        credentials={**S3_KEYS, "client_kwargs": {"endpoint_url": s3_endpoint}},
    )
    pipeline = Pipeline([node(make_tokenizer, None, "tokenizer")])

    with pytest.raises(StorageRootError, match="typo-bucket does not exist"):
        StorageLock().before_pipeline_run(pipeline=pipeline, catalog=catalog)
    bucket.invalidate_cache()
    assert "typo-bucket" not in bucket.ls("")


def test_status_on_a_missing_bucket_names_it(bucket, aws_env, tmp_path):
    project = copy_project(tmp_path)
    done = project_command(
        project,
        aws_env,
        *(
            "kedro",
            "status",
            "--env",
            "reduced",
            "--params=storage=s3://status-typo/run1",
        ),
        timeout=300,
    )

    assert done.returncode == 1, done.stdout[-2000:]
    assert "the bucket s3://status-typo does not exist" in done.stderr
    assert "missing" not in done.stdout
    bucket.invalidate_cache()
    assert "status-typo" not in bucket.ls("")


def test_missing_credentials_name_where_they_go(s3_endpoint, bucket, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    lock = RunLock(client(s3_endpoint), f"{BUCKET}/run1")

    with pytest.raises(StorageRootError) as error:
        lock.acquire()

    message = str(error.value)
    assert message.startswith(f"storage=s3://{BUCKET}/run1: no credentials for ")
    assert "AWS_ACCESS_KEY_ID" in message
    assert "conf/<env>/credentials.yml" in message


@contextlib.contextmanager
def refused_client() -> Iterator[tuple[str, s3fs.S3FileSystem]]:
    """A server that checks keys, and a client whose keys exist nowhere there:
    every request it makes is refused with 403."""
    with moto_server(KEY_CHECKS) as checking:
        yield checking, client(checking, key="wrong", secret="wrong")


def test_refused_credentials_are_named_not_a_bare_permission_error(bucket):
    with refused_client() as (checking, fs):
        with pytest.raises(StorageRootError) as error:
            RunLock(fs, f"{BUCKET}/run1").acquire()

    message = str(error.value)
    assert message.startswith(
        f"storage=s3://{BUCKET}/run1: access denied at endpoint {checking} ("
    )
    assert "The credentials are wrong" in message
    assert "AWS_ACCESS_KEY_ID" in message


def test_only_the_stores_own_refusal_counts_as_refused_keys(bucket):
    with refused_client() as (_, fs):
        with pytest.raises(PermissionError) as refused:
            fs.info(f"{BUCKET}/model/config.json")
    assert refused_by_store(fs, refused.value)
    # A remote model is read from a local copy: a local file refusing access
    # names its path, and is not the store's doing.
    local = PermissionError(13, "Permission denied", "/tmp/copy/model.safetensors")
    assert not refused_by_store(fs, local)
    assert not refused_by_store(fsspec.filesystem("file"), refused.value)


class GsNamedMemory(MemoryFileSystem):
    """fsspec's in-memory filesystem answering to gs://: a bucket store that
    is not S3 (gcsfs is an optional extra, not installed for the tests)."""

    protocol = ("gs", "gcs")


def test_a_store_other_than_s3_gets_no_aws_advice():
    fs = GsNamedMemory(skip_instance_cache=True)

    with pytest.raises(StorageRootError) as missing:
        check_bucket(fs, "no-such-bucket/run1")
    denied = access_denied(fs, "models/m", PermissionError("Forbidden"), "--model")

    assert str(missing.value).startswith(
        "storage=gs://no-such-bucket/run1: the bucket gs://no-such-bucket does "
        "not exist at the provider's default endpoint. A run creates no bucket; "
        "create it, or correct"
    )
    assert str(denied).startswith(
        "--model gs://models/m: access denied at the provider's default endpoint "
        "(Forbidden)."
    )
    assert "Check the credentials the gs:// filesystem reads, and the gs:// " in (
        str(denied)
    )
    for message in (str(missing.value), str(denied)):
        assert "AWS" not in message and "aws" not in message


def test_an_unreachable_endpoint_is_named(bucket):
    # Nothing listens on a free port.
    closed = f"http://127.0.0.1:{free_port()}"
    fs = s3fs.S3FileSystem(
        **S3_KEYS,
        client_kwargs={"endpoint_url": closed},
        config_kwargs={"retries": {"max_attempts": 1}},
        skip_instance_cache=True,
    )

    with pytest.raises(StorageRootError) as error:
        RunLock(fs, f"{BUCKET}/run1").acquire()

    message = str(error.value)
    assert f"s3://{BUCKET} cannot be reached at endpoint {closed}" in message
    assert "AWS_ENDPOINT_URL" in message


def test_the_lock_message_gives_the_url_to_delete(s3_endpoint, bucket):
    fs = client(s3_endpoint, **S3_KEYS)
    first = RunLock(fs, f"{BUCKET}/held")
    first.acquire()
    try:
        with pytest.raises(RunLockedError) as error:
            RunLock(fs, f"{BUCKET}/held").acquire()
    finally:
        first.release()
    assert f"delete s3://{BUCKET}/held/{LOCK_NAME} and run again" in str(error.value)


def test_an_unreadable_lock_is_called_so(s3_endpoint, bucket):
    fs = client(s3_endpoint, **S3_KEYS)
    path = f"{BUCKET}/cut/{LOCK_NAME}"
    fs.pipe(path, b'{"pid": 12')
    try:
        with pytest.raises(RunLockedError) as error:
            RunLock(fs, f"{BUCKET}/cut").acquire()
    finally:
        fs.rm(path)
    message = str(error.value)
    assert f"s3://{path}, cannot be read" in message
    assert "process None" not in message
