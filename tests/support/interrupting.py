"""An import interrupted as an operator would: its server stops mid-import, the CLI says it
sends the batch again, and Ctrl-C (or a kill's SIGTERM) ends it."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence

import grpc


def interrupt_while_server_is_down(
    command: Sequence[str],
    env: Mapping[str, str],
    server: grpc.Server,
    has_written: Callable[[], bool],
    signum: signal.Signals = signal.SIGINT,
) -> tuple[str, int]:
    """Runs ``command`` until ``has_written()``, stops ``server``, waits for the CLI's
    retry notice, sends ``signum``; returns the last stderr line (checked to be the
    interruption's one-line error, no traceback) and the count it reports stored."""
    with subprocess.Popen(command, env=dict(env), stderr=subprocess.PIPE, text=True,
                          stdout=subprocess.PIPE) as importing:  # fmt: skip
        deadline = time.monotonic() + 60
        while not has_written():
            assert time.monotonic() < deadline and importing.poll() is None
            time.sleep(0.02)
        server.stop(0)
        assert importing.stderr is not None
        # gRPC's own transport may log a line first (GOAWAY on the stopped server).
        seen = [importing.stderr.readline()]
        while "sending the batch again" not in seen[-1] and seen[-1] and len(seen) < 20:
            seen.append(importing.stderr.readline())
        assert "sending the batch again" in seen[-1], seen
        importing.send_signal(signum)
        rest = importing.stderr.read()
        assert importing.wait(timeout=30) == 130
    last = rest.splitlines()[-1]
    assert last.startswith("error: interrupted; ") and "Traceback" not in rest
    reported = int(last.removeprefix("error: interrupted; ").split(" ")[0].replace(",", ""))
    return last, reported
