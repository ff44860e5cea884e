"""The SMS gateway the settings name (``IVR_SMS_GATEWAY``): Kannel, SMPP, or none."""

from __future__ import annotations

from ivr.core.settings import Settings
from ivr.sms.gateway import DEFAULT_TIMEOUT_S, Gateway
from ivr.sms.kannel import KannelGateway
from ivr.sms.smpp import SmppGateway


def make_gateway(settings: Settings, timeout_s: float = DEFAULT_TIMEOUT_S) -> Gateway | None:
    """The gateway ``IVR_SMS_GATEWAY`` names; None for ``none`` (messages stay queued)."""
    if settings.sms_gateway == "kannel":
        return KannelGateway.from_settings(settings, timeout_s)
    if settings.sms_gateway == "smpp":
        return SmppGateway.from_settings(settings, timeout_s)
    if settings.sms_gateway == "none":
        return None
    raise ValueError(f"unknown SMS gateway {settings.sms_gateway!r}")
