"""Atomic file writing: outputs appear at their final path only when complete."""

import contextlib
import json
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; rename it into place on success, delete on error."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # a job killed with -9 leaves its temporary file behind: the rerun of that job removes it
    prefix = "." + os.path.basename(path) + "."
    for stale in os.listdir(directory):
        if stale.startswith(prefix) and stale.endswith(".part"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, stale))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".part", dir=directory)
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes 0600 files: give the result the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path, data):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")
