"""The self-service steps of a call: who the caller is, their balance, numbers read back.

The AGI scripts in ``ivr/agi_scripts`` (``auth``, ``balance``) are the call flows; this package
holds what they share: the spoken texts per language, the read-back of captured numbers, the
lock-out counters and the offer of an agent or a callback when the account system is down.
"""
