"""The push side of MOOST: HA's measurements to MOOST, at its cadence, without loss.

``forwarder.MoostForwarder`` listens to the forwarded entities, aggregates
them to MOOST's documented cadence (``aggregator``) and hands the events to a
persistent outbox (``outbox``) that delivers them exactly once.
"""

from .forwarder import MoostForwarder

__all__ = ["MoostForwarder"]
