"""The channel variables the IVR and the dialplan (``asterisk/etc/extensions*.conf``) share.

One name each, so the Python side and the dialplan cannot drift apart: a test reads the
dialplan files and checks that every name used there is one of these.
"""

from __future__ import annotations

# Set by the flow engine before it hands a call to [ivr-queue]; read back when Queue() ends.
IVR_QUEUE = "IVR_QUEUE"  # the queue to join ("" or unset: no queue, the call ends)
IVR_QUEUE_TIMEOUT = "IVR_QUEUE_TIMEOUT"  # Queue()'s timeout, seconds
IVR_FLOW = "IVR_FLOW"  # the flow the call walks (it resumes there after the queue)
IVR_NODE = "IVR_NODE"  # the queue node it left from
IVR_PATH = "IVR_PATH"  # the nodes visited so far, joined by ">"
IVR_ERROR = "IVR_ERROR"  # why the IVR could not serve the call ("no-flow", "unknown-script:x")
# Set by the dialplan.
IVR_AGI = "IVR_AGI"  # [globals]: agi://host:port of the IVR
IVR_QUEUE_NAME = "IVR_QUEUE_NAME"  # the queue the caller waits in (leave keys, the survey)
IVR_QUEUE_EXIT = "IVR_QUEUE_EXIT"  # where a leave key goes: "" (the flow), classic, callback
IVR_CALLBACK_DIGITS = "IVR_CALLBACK_DIGITS"  # [ivr-callback]: the number dialled out, digits only
# Set by the callback dialer's Originate.
IVR_CALLBACK_ID = "IVR_CALLBACK_ID"
IVR_LANGUAGE = "IVR_LANGUAGE"
# Set by the campaign dialer's Originate: the campaign number the notify script plays to.
IVR_CAMPAIGN_TARGET = "IVR_CAMPAIGN_TARGET"
IVR_NOTIFY_DIGITS = "IVR_NOTIFY_DIGITS"  # [ivr-notify-dial]: the number dialled, digits only
# Asterisk's own.
CHANNEL_LANGUAGE = "CHANNEL(language)"

ALL = (
    IVR_QUEUE,
    IVR_QUEUE_TIMEOUT,
    IVR_FLOW,
    IVR_NODE,
    IVR_PATH,
    IVR_ERROR,
    IVR_AGI,
    IVR_QUEUE_NAME,
    IVR_QUEUE_EXIT,
    IVR_CALLBACK_DIGITS,
    IVR_CALLBACK_ID,
    IVR_LANGUAGE,
    IVR_CAMPAIGN_TARGET,
    IVR_NOTIFY_DIGITS,
)
