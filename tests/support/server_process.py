"""``wholesale-server`` as a separate process, as operators run it: its command, a clean
environment, a free port, one-shot commands, and a started server waited for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc


def server_command() -> list[str]:
    script = Path(sys.executable).with_name("wholesale-server")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "wholesale.server.cli"]


def clean_environment() -> dict[str, str]:
    """The test's environment without the settings a developer may have exported."""
    ours = ("WHOLESALE_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """One ``wholesale-server`` command, its exit code and output (a hang fails the test)."""
    return subprocess.run(
        [*server_command(), *args],
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=cwd,
        check=False,
        timeout=60,
    )


def wait_until_serving(process: subprocess.Popen, health, log: Path) -> None:
    while process.poll() is None:
        try:
            if health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == (
                health_pb2.HealthCheckResponse.SERVING
            ):
                return
        except grpc.RpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise
        time.sleep(0.05)
    pytest.fail(f"server exited with {process.returncode} before serving:\n{log.read_text()}")


class ServerProcess:
    """``wholesale-server serve`` on ``url`` with ``extra`` flags, started and waited for;
    its output goes to ``<name>.log`` in ``directory``."""

    def __init__(self, directory: Path, url: str, name: str, *extra: str) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = directory / f"{name}.log"
        command = [*server_command(), "serve", "--listen", self.address, "--database", url]
        with self.log.open("w") as log_file:
            self.process = subprocess.Popen(
                [*command, *extra],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=clean_environment(),
                cwd=directory,
            )
        self.channel = grpc.insecure_channel(self.address)
        wait_until_serving(self.process, health_pb2_grpc.HealthStub(self.channel), self.log)

    def kill(self) -> int:
        self.process.kill()  # SIGKILL: no drain, no grace, no cleanup
        return self.process.wait()

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
