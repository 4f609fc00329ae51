"""A real S3-protocol server (moto) on 127.0.0.1 for the tests that write to or read from a
bucket: the one place that starts it, sets throwaway credentials and stops it again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def moto_bucket(bucket: str, secret: str = "test", endpoint_env: bool = False) -> Iterator[str]:
    """Start moto, make `bucket`, yield "host:port"; the process's AWS_* settings (and, with
    `endpoint_env`, AWS_ENDPOINT_URL) point at it until the block ends, then are restored."""
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": secret,
           "AWS_DEFAULT_REGION": "us-east-1"}
    if endpoint_env:
        env["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        from pyarrow import fs

        fs.S3FileSystem(endpoint_override=f"{host}:{port}", scheme="http", region="us-east-1",
                        allow_bucket_creation=True).create_dir(bucket)
        yield f"{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def bucket_uri(endpoint: str, key: str) -> str:
    """An s3:// URI for `key` ("bucket/path") on the local server, settings in the query."""
    return f"s3://{key}?endpoint_override={endpoint}&scheme=http&region=us-east-1"
