"""What a test reads of an `ansible-playbook` run it starts itself."""

import json


def json_callback_output(stdout: str) -> dict:
    """The document of Ansible's json stdout callback: the other callbacks the test bed enables
    (profile_tasks' timings) print lines before and after it."""
    start = 0 if stdout.startswith("{") else stdout.index("\n{") + 1
    return json.JSONDecoder().raw_decode(stdout[start:])[0]
