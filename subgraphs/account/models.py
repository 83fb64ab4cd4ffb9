"""The account subgraph's tables: members' profiles and preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, utcnow


class Profile(Base):
    __tablename__ = "profiles"

    # The federation subgraph's user id. No foreign key: domains do not reach into each other's tables.
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
