"""Files the modules write for people and servers to read (the published directory, the report).

An adapter beside the policy core: the one way the project replaces a file, so that a reader (nginx,
a copy in progress, an agency's portal) sees the old file or the new one, never half of one.
"""

import os
import tempfile


def same_bytes(path, data):
    """True when `path` holds exactly `data` (the size is compared first: no read when it differs)."""
    if not os.path.isfile(path) or os.path.getsize(path) != len(data):
        return False
    with open(path, "rb") as handle:
        return handle.read() == data


def write_atomically(path, data, mode=0o644):
    """Write beside the target, flush to disk, then rename over it."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_files(folder, names):
    """(name, bytes) of each named file of `folder`, in the order given (for a fingerprint)."""
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            yield name, handle.read()
