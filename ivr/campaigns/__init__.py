"""Outbound notification campaigns: reminders and results called out (AMI Originate into the
``ivr-notify`` dialplan), with retries, an SMS when nobody answers, a calling window and an
opt-out list. ``store`` keeps campaigns and numbers, ``messages`` renders the texts,
``dialer`` places the calls, the ``notify`` AGI script plays the message."""
