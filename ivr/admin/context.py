"""What every admin page reaches: the running IVR's services, the users, AMI (when set up)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ivr.admin.users import Users
from ivr.agi.services import Services
from ivr.core.db import Database
from ivr.core.settings import Settings
from ivr.queues.ami_runtime import AmiRuntime


@dataclass
class AdminContext:
    services: Services
    users: Users
    ami: AmiRuntime | None = None  # once `start` connected it; None without AMI

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def database(self) -> Database:
        return self.services.outbox.database


def admin_of(request: Request) -> AdminContext:
    context: AdminContext = request.app.state.admin
    return context
