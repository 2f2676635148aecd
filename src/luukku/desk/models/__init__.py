"""The service desk: queues, cases, their messages and history."""

from luukku.desk.models.answers import StandardAnswer
from luukku.desk.models.cases import Case, CaseChannel, HistoryEntry, Priority, Tag
from luukku.desk.models.classifier import ClassifierVersion
from luukku.desk.models.live import QueueChange
from luukku.desk.models.messages import Attachment, Delivery, Direction, Message
from luukku.desk.models.queues import (
    DONE,
    ONE_CASE,
    AgentLoad,
    AssignmentTurn,
    CaseStatus,
    Category,
    ChannelWeight,
    Queue,
    SavedView,
    StatusCategory,
)
from luukku.desk.models.rules import RoutingRule
from luukku.desk.models.settings import DeskSettings
from luukku.desk.models.skills import AgentSkill, Skill
from luukku.desk.models.sla import (
    ClockState,
    Escalation,
    EscalationStep,
    Milestone,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    Target,
)

__all__ = [
    "DONE",
    "ONE_CASE",
    "AgentLoad",
    "AgentSkill",
    "AssignmentTurn",
    "Attachment",
    "Case",
    "CaseChannel",
    "CaseStatus",
    "Category",
    "ChannelWeight",
    "ClassifierVersion",
    "ClockState",
    "Delivery",
    "DeskSettings",
    "Direction",
    "Escalation",
    "EscalationStep",
    "HistoryEntry",
    "Message",
    "Milestone",
    "Priority",
    "Queue",
    "QueueChange",
    "RoutingRule",
    "SavedView",
    "Skill",
    "SlaClock",
    "SlaEvent",
    "SlaPolicy",
    "StandardAnswer",
    "StatusCategory",
    "Tag",
    "Target",
]
