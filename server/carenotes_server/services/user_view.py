"""What the API says about a user: the profile of WhoAmI, sign-up and login."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from carenotes_server.db.models import User
from carenotes_server.services.caller import Role


@dataclass(frozen=True)
class UserView:
    id: uuid.UUID
    name: str
    email: str
    role: Role
    timezone: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.id, user.name, user.email, Role(user.role), user.timezone, user.created_at)
