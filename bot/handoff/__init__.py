"""Human handoff: tickets, the summary note, the agents' desk protocol and adapters."""

from bot.handoff.desk import Desk, DeskEvent, Outcome, RelayStage, TicketStage
from bot.handoff.repository import Ticket, TicketRepository
from bot.handoff.settings import HandoffSettings, load_settings
from bot.handoff.summary import ExtractiveSummarizer, Summarizer, build_note

__all__ = [
    "Desk",
    "DeskEvent",
    "ExtractiveSummarizer",
    "HandoffSettings",
    "Outcome",
    "RelayStage",
    "Summarizer",
    "Ticket",
    "TicketRepository",
    "TicketStage",
    "build_note",
    "load_settings",
]
