"""An in-memory channel: most tests say things and read the replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.app import App, build_app
from bot.config import default_content_dir, load_settings
from bot.models import Action, ConversationKey, Handoff, Inbound, Reply
from bot.store.records import Message


@dataclass
class Chat:
    """One customer talking to the engine."""

    app: App
    user: str = "u1"
    name: str | None = None
    platform: str = "test"
    last: list[Action] = field(default_factory=list)

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(self.platform, self.user)

    async def say(self, text: str, **extra: str) -> list[Action]:
        inbound = Inbound(key=self.key, user=self.user, text=text, name=self.name, **extra)  # type: ignore[arg-type]
        self.last = await self.app.engine.handle(inbound)
        return self.last

    async def press(self, payload: str) -> list[Action]:
        inbound = Inbound(
            key=self.key, user=self.user, button=payload, name=self.name, kind="button"
        )
        self.last = await self.app.engine.handle(inbound)
        return self.last

    @property
    def text(self) -> str:
        """All reply texts of the last turn, joined."""
        return "\n".join(a.text for a in self.last if isinstance(a, Reply))

    @property
    def buttons(self) -> list[str]:
        return [b.payload for a in self.last if isinstance(a, Reply) for b in a.buttons]

    @property
    def handoffs(self) -> list[Handoff]:
        return [a for a in self.last if isinstance(a, Handoff)]

    async def recorded(self) -> list[Message]:
        conv = await self.app.store.current_conversation(str(self.key))
        assert conv is not None
        return await self.app.store.messages(conv.id)

    async def understood(self) -> Message:
        """The last inbound message as the engine recorded it."""
        return [m for m in await self.recorded() if m.direction == "in"][-1]


async def start_app(
    tmp_path: Path, content: Path | None = None, db: str = "fd.db", *, url: str | None = None
) -> App:
    """The app on ``content`` (the default content) with a SQLite file in ``tmp_path``,
    or on the database at ``url``."""
    settings = load_settings(
        environ={},
        content_dir=content or default_content_dir(),
        database_url=url or f"sqlite+aiosqlite:///{tmp_path / db}",
    )
    return await build_app(settings)
