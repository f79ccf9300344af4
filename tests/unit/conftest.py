"""Unit tests of the policy core (plugins/module_utils/congvu): plain Python, no Ansible, no servers."""

import os
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "module_utils"))


@pytest.fixture
def write_roster(tmp_path):
    """write_roster({"stttt": "agency: ..."}) -> the roster folder, files dedented and UTF-8."""

    def write(files: dict[str, str], folder: str = "roster"):
        root = tmp_path / folder
        root.mkdir(exist_ok=True)
        for name, text in files.items():
            file_name = name if name.endswith((".yml", ".yaml")) else f"{name}.yml"
            (root / file_name).write_text(textwrap.dedent(text), encoding="utf-8")
        return str(root)

    return write
