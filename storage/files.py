"""Files holding personal data — the SQLite database, its backups, exports and reports — readable by
their owner only: created 0600, in folders created 0700.

A folder that already exists keeps its permissions (it may be shared on purpose: the folder of the
project, a reports folder); a file this module writes over is set to 0600 again. Modes are created
with os.open and os.mkdir's mode argument, never with os.umask (process-wide, and the bot has threads).
On Windows, where POSIX modes do not apply, the files are created as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
_BINARY = getattr(os, "O_BINARY", 0)


def make_private_dir(folder: Path) -> None:
    """Create `folder` and every missing parent 0700; those that exist are left as they are."""
    missing = []
    current = Path(os.path.abspath(folder))
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass


def create_private(path: Path) -> bool:
    """Create an empty file 0600 if there is none (its folder 0700 when new); True if it was created."""
    make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def open_private(path: Path, *, exclusive: bool = False):
    """A binary file open for writing, created 0600 (or truncated and set to 0600); `exclusive` refuses one that exists."""
    make_private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | _BINARY | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        if hasattr(os, "fchmod"):
            try:
                os.fchmod(fd, PRIVATE_FILE)  # a file written over keeps its old mode otherwise
            except PermissionError:
                pass  # someone else's file we may write to: its mode is theirs
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: bytes) -> None:
    with open_private(path) as file:
        file.write(data)
