"""The federation subgraph's GraphQL types: `User @key(id)`, who is asking, and account mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from shared.context import Context
from shared.errors import BadUserInput
from shared.graphql import federation_schema
from subgraphs.federation import service
from subgraphs.federation.models import User as UserRow

Info = strawberry.Info[Context, None]


@strawberry.enum
class Role(Enum):
    MEMBER = "member"
    EDITOR = "editor"
    ADMIN = "admin"


def _loader(info: Info) -> DataLoader[str, UserRow | None]:
    context = info.context
    return context.loader("users", lambda ids: service.users_by_ids(context.session, ids))


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    handle: str
    display_name: str
    avatar_url: str | None
    roles: list[Role]
    created_at: datetime
    _row: strawberry.Private[UserRow]

    @strawberry.field(description="Visible only to the user and to admins; null for everyone else.")
    def email(self, info: Info) -> str | None:
        return self._row.email if service.can_see_email(info.context.viewer, self._row) else None

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(row.id),
            handle=row.handle,
            display_name=row.display_name,
            avatar_url=row.avatar_url,
            roles=[Role(r) for r in row.roles],
            created_at=row.created_at,
            _row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        row = await _loader(info).load(str(id))
        return cls.from_row(row) if row is not None else None


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo


@strawberry.input
class RegisterInput:
    handle: str
    email: str
    display_name: str


@strawberry.input
class UpdateProfileInput:
    user_id: strawberry.ID
    display_name: str | None = None
    avatar_url: str | None = strawberry.field(
        default=None, description="An http(s) URL; an empty string removes the avatar."
    )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null.")
    async def viewer(self, info: Info) -> User | None:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return None
        row = await _loader(info).load(user_id)
        return User.from_row(row) if row is not None else None

    @strawberry.field(description="A user by id or by handle (exactly one of them).")
    async def user(self, info: Info, id: strawberry.ID | None = None, handle: str | None = None) -> User | None:
        if (id is None) == (handle is None):
            raise BadUserInput("give exactly one of id and handle", field="id")
        if id is not None:
            row = await _loader(info).load(str(id))
        else:
            row = await service.user_by_handle(info.context.session, handle or "")
        return User.from_row(row) if row is not None else None

    @strawberry.field(description="Every user, newest first. Admins only.")
    async def users(self, info: Info, first: int = 20, after: str | None = None) -> UserConnection:
        page = await service.list_users(info.context.session, info.context.viewer, first, after)
        return UserConnection(
            edges=[UserEdge(cursor=c, node=User.from_row(r)) for r, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an account with the member role.")
    async def register(self, info: Info, input: RegisterInput) -> User:
        async with info.context.transaction() as session:
            row = await service.register(
                session, handle=input.handle, email=input.email, display_name=input.display_name
            )
        return User.from_row(row)

    @strawberry.mutation(description="Change a display name or avatar: the user themself, or an admin.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> User:
        async with info.context.transaction() as session:
            row = await service.update_profile(
                session,
                info.context.viewer,
                str(input.user_id),
                display_name=input.display_name,
                avatar_url=input.avatar_url or None,
                clear_avatar=input.avatar_url == "",
            )
        return User.from_row(row)

    @strawberry.mutation(description="Replace a user's roles. Admins only.")
    async def set_roles(self, info: Info, user_id: strawberry.ID, roles: list[Role]) -> User:
        async with info.context.transaction() as session:
            row = await service.set_roles(session, info.context.viewer, str(user_id), [r.value for r in roles])
        return User.from_row(row)


schema = federation_schema(Query, Mutation, types=[User])
