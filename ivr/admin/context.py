"""What every admin page reaches: the running IVR's services, the users, AMI (when set up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from ivr.admin.users import Users
from ivr.agi.services import Services


@dataclass
class AdminContext:
    services: Services
    users: Users
    ami: Any = None  # ivr.queues.ami_runtime.AmiRuntime once `start` connected it; None without AMI

    @property
    def settings(self) -> Any:
        return self.services.settings

    @property
    def database(self) -> Any:
        return self.services.outbox.database


def admin_of(request: Request) -> AdminContext:
    context: AdminContext = request.app.state.admin
    return context
