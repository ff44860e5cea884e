"""Supervisors' actions over AMI (pause, log in and out, reload): one action, its answer or a
problem the page can show (503: no AMI or not connected; 502: Asterisk said no or nothing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ivr.ami.client import ActionFailed, ActionTimeout, AmiError, NotConnected
from ivr.queues.ami_runtime import AmiRuntime

AMI_TIMEOUT_S = 5.0
NO_AMI = (
    "Live queue data needs the Asterisk manager (AMI): set IVR_AMI_HOST (and IVR_AMI_PORT, "
    "IVR_AMI_USER, IVR_AMI_SECRET) and restart the IVR."
)


class AmiProblem(Exception):
    """An AMI action that did not happen: ``status`` 503 (no AMI) or 502 (Asterisk said no)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class AmiAnswer:
    action: str
    response: str
    message: str

    @property
    def ok(self) -> bool:
        return self.response.lower() == "success"

    def __str__(self) -> str:
        return f"{self.action}: {self.response}" + (f" ({self.message})" if self.message else "")


def send(ami: AmiRuntime | None, name: str, **fields: str) -> AmiAnswer:
    """One action; ``AmiProblem`` when AMI is not set up, not connected or Asterisk refused."""
    if ami is None:
        raise AmiProblem(503, f"Nothing was sent. {NO_AMI}")
    try:
        reply = ami.client.action(name, timeout=AMI_TIMEOUT_S, **fields)
    except NotConnected:
        raise AmiProblem(
            503,
            "Not connected to Asterisk's manager right now (the IVR reconnects by itself): "
            "nothing was changed. Try again in a moment.",
        ) from None
    except ActionTimeout:
        raise AmiProblem(
            502,
            f"Asterisk did not answer {name} within {AMI_TIMEOUT_S:.0f} s: the change may or "
            "may not have happened. Look at the queue before trying again.",
        ) from None
    except ActionFailed as exc:
        raise AmiProblem(502, f"Asterisk answered {name}: Error ({exc.reason})") from None
    except AmiError as exc:
        raise AmiProblem(502, f"Asterisk's manager: {exc}") from None
    return AmiAnswer(name, reply.response or "Success", reply.get("Message", ""))


def wait_until(check: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Asterisk answers an action before its event reaches the live state: wait a little."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
