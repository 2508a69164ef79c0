"""The shared record lifecycle: every resource is a declaration plugged into it."""

from registry.records.declaration import Children, Filter, NaturalKey, Reference, Resource
from registry.records.model import RecordEvent, RecordMixin

__all__ = [
    "Children",
    "Filter",
    "NaturalKey",
    "Reference",
    "Resource",
    "RecordEvent",
    "RecordMixin",
]
