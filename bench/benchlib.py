"""Plumbing shared by the benchmarks (bench_reconcile.py, bench_mail.py): running commands, the
benchmark container, Ansible's environment, and the machine record printed beside the figures.
Standard library only: the benchmarks run with the host's python3, not the project's .venv."""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

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
    """The benchmark container: shell commands in it, files in and out, its child script's result."""

    def __init__(self, name: str):
        self.name = name

    def sh(self, script: str, timeout: float | None = None, check: bool = True) -> str:
        return run(["docker", "exec", self.name, "bash", "-c", script], timeout=timeout, check=check).stdout

    def put(self, src: str, dest: str) -> None:
        run(["docker", "cp", src, f"{self.name}:{dest}"])

    def get(self, src: str, dest: str) -> None:
        run(["docker", "cp", f"{self.name}:{src}", dest])

    def result_of(self, command: str, timeout: float | None = None) -> dict:
        """Run an in-container child script; its last `RESULT <json>` line is the answer."""
        out = self.sh(command, timeout)
        for line in reversed(out.splitlines()):
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])
        raise BenchError(f"{command[:200]} gave no result:\n{out[-2000:]}")

    def start(self, image: str, hostname: str, extra: list[str], log) -> bool:
        """Start the container from `image` (systemd as PID 1, as molecule runs it) unless it exists,
        and wait until systemd has booted. True when this call started it."""
        exists = run(["docker", "ps", "-a", "--filter", f"name=^{self.name}$", "--format",
                      "{{.Status}}"]).stdout.strip()
        started = False
        if not exists:
            log(f"starting container {self.name} ({image})")
            run(["docker", "run", "-d", "--name", self.name, "--hostname", hostname, "--cap-add", "SYS_ADMIN",
                 *extra, "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
                 "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro",
                 "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", image])
            started = True
        elif not exists.startswith("Up"):
            raise BenchError(f"container {self.name} exists but is not running ({exists})")
        for _ in range(200):
            state = self.sh("systemctl is-system-running || true", check=False).strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.3)
        return started


def check_container_name(parser, name: str, others: tuple[str, ...]) -> None:
    """Refuse the other benchmarks' and the molecule scenarios' containers, and odd names."""
    if name.startswith("congvu-") or name in others:
        parser.error("refusing to use another team's container")
    if any(c in name for c in " /:"):
        parser.error("--container: a plain container name")


def stderr_log():
    """log(message): the message on stderr, after the seconds since this call."""
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)
    return log


def link_demo_group_vars(folder: str) -> None:
    """The benchmark inventory uses the demo's group_vars, as they are in the repository."""
    link = os.path.join(folder, "group_vars")
    if not os.path.islink(link):
        os.symlink(os.path.join(REPO, "inventories", "demo", "group_vars"), link)


def ansible_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["ANSIBLE_PIPELINING"] = "true"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def scratch_folder(keep: str | None, prefix: str, error) -> str:
    """The benchmark's working folder: `--keep DIR` (must be empty, kept afterwards) or a new temporary one."""
    if keep:
        if os.path.exists(keep) and os.listdir(keep):
            error(f"--keep {keep}: the folder is not empty")
        work = os.path.abspath(keep)
        os.makedirs(work, exist_ok=True)
        return work
    return tempfile.mkdtemp(prefix=prefix)


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
