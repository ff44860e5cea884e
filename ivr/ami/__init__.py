"""Asterisk Manager Interface: the wire codec (``wire``) and a reconnecting client (``client``)."""
