"""The service desk: queues, cases, their messages and history."""

from luukku.desk.models.cases import Case, CaseChannel, HistoryEntry, Priority, Tag
from luukku.desk.models.messages import Delivery, Direction, Message
from luukku.desk.models.queues import DONE, CaseStatus, Category, Queue, StatusCategory

__all__ = [
    "DONE",
    "Case",
    "CaseChannel",
    "CaseStatus",
    "Category",
    "Delivery",
    "Direction",
    "HistoryEntry",
    "Message",
    "Priority",
    "Queue",
    "StatusCategory",
    "Tag",
]
