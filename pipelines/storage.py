"""Where datasets live when they are not local files: filesystem URIs, their settings, their errors.

One place decides how a URI (`s3://bucket/prefix`, `gs://…`, `hdfs://…`, fsspec-only schemes such
as `memory://`) becomes a pyarrow filesystem, which environment variables carry its settings to
Ray workers on other nodes (and which of them are credentials, kept out of Ray's logs), and how
its failures read: the real cause in one line (NoSuchBucket,
connection refused, access denied), never a fallback's unrelated complaint ("Install s3fs").

Nothing here reads or writes `os.environ` at import.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipelines.errors import PolyglyphError

ARROW_SCHEMES = ("s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss", "file", "mock")
"""Schemes pyarrow opens itself: a failure there is the store's answer, not a missing plugin."""

STORAGE_ENV_PREFIXES = ("AWS_", "FSSPEC_", "AZURE_STORAGE_", "GCS_")
STORAGE_ENV_NAMES = ("GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST",
                     "ARROW_S3_LOG_LEVEL")
"""Storage settings a Ray worker needs to reach the same bucket as the driver: AWS's (keys,
session token, region, profile, `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_S3` for MinIO and other
S3-compatible stores), fsspec's `FSSPEC_<PROTOCOL>_<OPTION>`, Azure's and Google's."""

SECRET_PARAM = re.compile(r"secret|token|password|credential|key", re.IGNORECASE)
SECRET_ENV = re.compile(r"SECRET|TOKEN|PASSWORD|CONNECTION_STRING|_KEY$|_KEY_ID$|_SAS$")
"""Storage variables whose values are credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AZURE_STORAGE_KEY, …): they go to Ray workers through the object store,
because Ray's runtime-env agent writes a job's runtime_env env_vars, values and all, to its
log on every node."""


def is_uri(target: str) -> bool:
    """A filesystem URI (`scheme://…`) rather than a local path; `file://` counts as local."""
    return "://" in target and not target.startswith("file://")


def scheme_of(target: str) -> str:
    return target.split("://", 1)[0].lower() if "://" in target else ""


def storage_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The storage settings in this process's environment, to hand to every Ray worker
    (runtime_env env_vars): a node started without them (`ray start` on another host) must
    still reach the bucket the driver names. Values are secrets: never log or record them."""
    env = os.environ if environ is None else environ
    return {k: v for k, v in sorted(env.items())
            if k.startswith(STORAGE_ENV_PREFIXES) or k in STORAGE_ENV_NAMES}


def split_secrets(env: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(settings, credentials) of a storage environment (see SECRET_ENV)."""
    secret = {k: v for k, v in env.items() if SECRET_ENV.search(k)}
    return {k: v for k, v in env.items() if k not in secret}, secret


def apply_secrets(secret: dict[str, str]) -> None:
    """In a Ray worker, before it opens a filesystem: the driver's credentials (the driver's
    own value wins over one the node was started with, as runtime_env values do)."""
    os.environ.update(secret)


def redact(target: str) -> str:
    """A URI fit for logs and manifests: user info and secret-looking query values masked
    (`s3://KEY:SECRET@bucket/p?secret_key=…` → `s3://***@bucket/p?secret_key=***`)."""
    if "://" not in target:
        return target
    parts = urlsplit(target)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if SECRET_PARAM.search(k) else v) for k, v in pairs],
                          safe=":/*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, or its type name."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def open_filesystem(target: str, flag: str = "--out") -> tuple[Any, str]:
    """(pyarrow filesystem, base path) of a URI. pyarrow's own schemes are opened by pyarrow
    and their errors shown as they are; only schemes pyarrow does not know go to fsspec."""
    from pyarrow import fs as pafs

    shown = redact(target)
    try:
        return pafs.FileSystem.from_uri(target)
    except (OSError, ValueError, TypeError) as exc:  # ArrowInvalid is a ValueError
        if scheme_of(target) in ARROW_SCHEMES or "Unrecognized filesystem type" not in str(exc):
            raise PolyglyphError(f"{flag} {shown}: cannot open: {first_line(exc)}") from None
        arrow_error = exc
    try:
        import fsspec
        from pyarrow.fs import FSSpecHandler, PyFileSystem
    except ImportError:
        raise PolyglyphError(f"{flag} {shown}: cannot open: {first_line(arrow_error)}") from None
    try:
        fs, base = fsspec.core.url_to_fs(target)
    except (ImportError, ValueError, OSError) as exc:
        raise PolyglyphError(f"{flag} {shown}: cannot open: {first_line(exc)}") from None
    return PyFileSystem(FSSpecHandler(fs)), base


def storage_error(target: str, exc: BaseException, what: str = "cannot read",
                  flag: str = "--out") -> PolyglyphError:
    """A filesystem failure as one line naming the URI (secrets masked) and the store's cause."""
    where = f"{flag} {redact(target)}" if flag else redact(target)
    return PolyglyphError(f"{where}: {what}: {first_line(exc)}")
