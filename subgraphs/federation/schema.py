"""The federation subgraph's GraphQL types: `User @key(id)`, who is asking, account mutations and OAuth clients."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from shared.connections import Connection, connection
from shared.context import Context
from shared.errors import BadUserInput
from shared.graphql import federation_schema
from subgraphs.federation import clients, service
from subgraphs.federation.models import User as UserRow
from subgraphs.federation.oauth_models import OAuthClient as OAuthClientRow

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


@strawberry.enum
class OAuthGrantType(Enum):
    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials"


@strawberry.enum
class OAuthScope(Enum):
    OPENID = "openid"
    PROFILE = "profile"
    EMAIL = "email"
    OFFLINE_ACCESS = "offline_access"
    READ = "read"
    WRITE = "write"


@strawberry.type(description="A partner's OAuth client, registered by an admin.")
class OAuthClient:
    client_id: strawberry.ID
    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[OAuthGrantType]
    scopes: list[OAuthScope]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: OAuthClientRow) -> OAuthClient:
        return cls(
            client_id=strawberry.ID(row.client_id),
            name=row.name,
            redirect_uris=list(row.redirect_uris),
            post_logout_redirect_uris=list(row.post_logout_redirect_uris),
            grant_types=[OAuthGrantType(g) for g in row.grant_types],
            scopes=[OAuthScope(s) for s in row.scopes],
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type
class OAuthClientSecret:
    client: OAuthClient
    client_secret: str = strawberry.field(description="Shown this once: only its hash is kept.")


@strawberry.input
class RegisterInput:
    handle: str
    email: str
    display_name: str
    password: str | None = strawberry.field(
        default=None, description="8 to 256 characters; without one, sign-in waits until a password is set."
    )


@strawberry.input
class ChangePasswordInput:
    current_password: str | None = strawberry.field(
        default=None, description="Required when the account has a password."
    )
    new_password: str


@strawberry.input
class RegisterOAuthClientInput:
    name: str
    grant_types: list[OAuthGrantType]
    scopes: list[OAuthScope]
    redirect_uris: list[str] = strawberry.field(
        default_factory=list, description="Exact https URIs (http only for localhost); needed for AUTHORIZATION_CODE."
    )
    post_logout_redirect_uris: list[str] = strawberry.field(default_factory=list)


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
    async def users(self, info: Info, first: int = 20, after: str | None = None) -> Connection[User]:
        page = await service.list_users(info.context.session, info.context.viewer, first, after)
        return connection(page, User.from_row)

    @strawberry.field(name="oauthClients", description="Partners' OAuth clients, oldest first. Admins only.")
    async def oauth_clients(self, info: Info, first: int = 20, after: str | None = None) -> Connection[OAuthClient]:
        page = await clients.list_clients(info.context.session, info.context.viewer, first, after)
        return connection(page, OAuthClient.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an account with the member role.")
    async def register(self, info: Info, input: RegisterInput) -> User:
        async with info.context.transaction() as session:
            row = await service.register(
                session,
                handle=input.handle,
                email=input.email,
                display_name=input.display_name,
                password=input.password,
            )
        return User.from_row(row)

    @strawberry.mutation(description="The signed-in user changes their password; every other sign-in ends.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> User:
        async with info.context.transaction() as session:
            row = await service.change_password(
                session,
                info.context.cache,
                info.context.viewer,
                current_password=input.current_password,
                new_password=input.new_password,
            )
        return User.from_row(row)

    @strawberry.mutation(description="Set a user's password without the old one; their sign-ins end. Admins only.")
    async def set_password(self, info: Info, user_id: strawberry.ID, new_password: str) -> User:
        async with info.context.transaction() as session:
            row = await service.set_password(session, info.context.viewer, str(user_id), new_password)
        return User.from_row(row)

    @strawberry.mutation(name="registerOAuthClient", description="Register a partner's client. Admins only.")
    async def register_oauth_client(self, info: Info, input: RegisterOAuthClientInput) -> OAuthClientSecret:
        async with info.context.transaction() as session:
            row, secret = await clients.register_client(
                session,
                info.context.viewer,
                name=input.name,
                grant_types=[g.value for g in input.grant_types],
                scopes=[s.value for s in input.scopes],
                redirect_uris=input.redirect_uris,
                post_logout_redirect_uris=input.post_logout_redirect_uris,
            )
        return OAuthClientSecret(client=OAuthClient.from_row(row), client_secret=secret)

    @strawberry.mutation(
        name="rotateOAuthClientSecret", description="A new secret for a client; the old one stops working. Admins only."
    )
    async def rotate_oauth_client_secret(self, info: Info, client_id: strawberry.ID) -> OAuthClientSecret:
        async with info.context.transaction() as session:
            row, secret = await clients.rotate_client_secret(session, info.context.viewer, str(client_id))
        return OAuthClientSecret(client=OAuthClient.from_row(row), client_secret=secret)

    @strawberry.mutation(name="revokeOAuthClient", description="Revoke a client and every token it holds. Admins only.")
    async def revoke_oauth_client(self, info: Info, client_id: strawberry.ID) -> OAuthClient:
        async with info.context.transaction() as session:
            row = await clients.revoke_client(session, info.context.viewer, str(client_id))
        return OAuthClient.from_row(row)

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
