"""The account subgraph's GraphQL types: `User.profile`, contributed to the federation subgraph's user."""

from __future__ import annotations

import strawberry
from strawberry.dataloader import DataLoader

from shared.context import Context
from shared.graphql import federation_schema
from subgraphs.account import service
from subgraphs.account.models import Profile as ProfileRow

Info = strawberry.Info[Context, None]


def _loader(info: Info) -> DataLoader[str, ProfileRow]:
    context = info.context
    return context.loader("profiles", lambda ids: service.profiles_for(context.session, ids))


@strawberry.type
class Profile:
    bio: str
    locale: str
    time_zone: str = strawberry.field(description="An IANA time zone, for showing times to this member.")

    @classmethod
    def from_row(cls, row: ProfileRow) -> Profile:
        return cls(bio=row.bio, locale=row.locale, time_zone=row.time_zone)


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(description="Bio and preferences; the platform's defaults until the member sets them.")
    async def profile(self, info: Info) -> Profile:
        return Profile.from_row(await _loader(info).load(str(self.id)))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.input
class PreferencesInput:
    user_id: strawberry.ID
    bio: str | None = None
    locale: str | None = None
    time_zone: str | None = None


@strawberry.type
class Query:
    pass


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Change a member's bio, locale or time zone: the member, or an admin.")
    async def update_preferences(self, info: Info, input: PreferencesInput) -> Profile:
        async with info.context.transaction() as session:
            row = await service.update_preferences(
                session,
                info.context.viewer,
                str(input.user_id),
                bio=input.bio,
                locale=input.locale,
                time_zone=input.time_zone,
            )
        return Profile.from_row(row)


schema = federation_schema(Query, Mutation, types=[User])
