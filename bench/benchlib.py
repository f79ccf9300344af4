"""Plumbing shared by the benchmarks (bench_reconcile.py, bench_mail.py): running commands, the
benchmark container, Ansible's environment, and the machine record printed beside the figures.
Standard library only: the benchmarks run with the host's python3, not the project's .venv."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BenchError(Exception):
    pass


def run(cmd: list[str], timeout: float | None = None, env: dict | None = None, cwd: str | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, check=False)
    if check and proc.returncode != 0:
        raise BenchError(f"{' '.join(shlex.quote(c) for c in cmd)[:300]} failed ({proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


class Container:
    """The benchmark container: shell commands in it."""

    def __init__(self, name: str):
        self.name = name

    def sh(self, script: str, timeout: float | None = None, check: bool = True) -> str:
        return run(["docker", "exec", self.name, "bash", "-c", script], timeout=timeout, check=check).stdout


def ansible_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["ANSIBLE_PIPELINING"] = "true"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
            cpu = models[0] if models else cpu
    except OSError:
        pass
    others = run(["docker", "ps", "--format", "{{.Names}}"], check=False).stdout.split()
    return {"python": f"{platform.python_implementation()} {platform.python_version()}",
            "platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "containers_running": others}
