"""The project's scripts (tools/, a role's files/) loaded as modules, for their unit tests."""

import importlib.util
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load(name: str, *path: str):
    """The script at ROOT/*path as module `name`, registered in sys.modules (a dataclass of the script
    looks its module up there)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
