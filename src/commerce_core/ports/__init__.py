"""Ports: ``typing.Protocol`` interfaces the host implements (stores, gateways, notifier, clock)."""
