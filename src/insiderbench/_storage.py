"""Where a log dir lives: a local directory, or object storage (`s3://bucket/prefix`, any
fsspec protocol) reached through fsspec, with the endpoint and credentials given the
standard way (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, ..., or a profile).

A location is kept as text throughout: `Path("s3://b/p")` would fold the `//` and point at
a local directory named `s3:`. Stands apart (imports nothing of ours), so every layer may
use it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

Location = str | os.PathLike[str]


def is_remote(location: Location) -> bool:
    """True for object storage (a URL with a protocol other than file://)."""
    text = os.fspath(location)
    return "://" in text and not text.startswith("file://")


def local_path(location: Location) -> Path:
    """The filesystem path of a local location (`file://...` or a plain path)."""
    text = os.fspath(location)
    if is_remote(text):
        raise ValueError(f"{text} is not a local path")
    return Path(text.removeprefix("file://"))


def normalized(location: Location) -> str:
    """A local location as an absolute path, object storage as given (no trailing /)."""
    text = os.fspath(location)
    return text.rstrip("/") if is_remote(text) else str(local_path(text).resolve())


def child(location: Location, *names: str) -> str:
    """`location/name/...` as text, for object storage and local paths alike."""
    text = os.fspath(location)
    if is_remote(text):
        return "/".join([text.rstrip("/"), *names])
    return str(local_path(text).joinpath(*names))


def basename(location: Location) -> str:
    """The last component of a location (a log's file name, a log dir's name)."""
    text = os.fspath(location).rstrip("/")
    return text.rsplit("/", 1)[-1] if is_remote(text) else local_path(text).resolve().name


def filesystem(location: Location) -> tuple[Any, str]:
    """fsspec's filesystem for the location and the location's path on it."""
    import fsspec

    fs, path = fsspec.core.url_to_fs(os.fspath(location))
    return fs, path


def is_dir(location: Location) -> bool:
    """A directory here; on object storage a bucket, or a prefix holding objects."""
    if not is_remote(location):
        return local_path(location).is_dir()
    fs, path = filesystem(location)
    return bool(fs.isdir(path))


def read_text(location: Location) -> str | None:
    """The text of a file, or None when there is none."""
    if not is_remote(location):
        path = local_path(location)
        return path.read_text(encoding="utf-8") if path.is_file() else None
    fs, path = filesystem(location)
    try:
        return str(fs.cat_file(path).decode("utf-8"))
    except FileNotFoundError:
        return None


def upload(local: Path, location: Location, last: str | None = None) -> None:
    """A local file or directory copied to object storage, each file in one put: a reader
    sees an object whole, the old one or the new, never a part (the atomic replace that
    object storage gives in place of a rename). The file named `last` goes last."""
    fs, path = filesystem(location)
    if local.is_dir():
        for item in sorted(local.rglob("*"), key=lambda p: (p.name == last, str(p))):
            if item.is_file():
                fs.put_file(str(item), f"{path.rstrip('/')}/{item.relative_to(local).as_posix()}")
    else:
        fs.put_file(str(local), path)


def probe_writable(location: Location) -> None:
    """Write and delete a small object under the location: raises what the store says
    (unreachable endpoint, missing bucket, no credentials, no permission)."""
    from uuid import uuid4

    fs, path = filesystem(location)
    probe = f"{path.rstrip('/')}/.write-test-{uuid4().hex}"
    fs.pipe_file(probe, b"")
    fs.rm_file(probe)


_STORE_MODULES = ("botocore", "aiobotocore", "s3fs", "gcsfs", "adlfs", "aiohttp", "fsspec",
                  "google.api_core", "google.auth", "azure")


def storage_failure(ex: BaseException) -> str | None:
    """One line saying what object storage answered, when `ex` (or what caused it) came
    from the store's client (an unreachable endpoint, a missing bucket, bad credentials);
    None for anything else."""
    seen: set[int] = set()
    current: BaseException | None = ex
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__ or ""
        if module.startswith(_STORE_MODULES):
            first = (str(current).strip().splitlines() or [""])[0]
            return f"{type(current).__name__}: {first}" if first else type(current).__name__
        current = current.__cause__ or current.__context__
    return None
