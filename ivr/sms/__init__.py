"""SMS follow-up: the outbox, the worker that sends it, the gateways (Kannel, SMPP), texts.

Scripts only call ``Outbox.enqueue``; ``SmsWorker`` and ``ivr.sms.gateways.make_gateway`` are
wired by ``ivr serve`` (ivr.app) and ``ivr sms worker`` (ivr.sms.commands).
"""
