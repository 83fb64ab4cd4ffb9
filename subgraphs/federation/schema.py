"""The federation subgraph's GraphQL types: `User @key(id)`, who is asking, account mutations, OAuth clients
and the social hub (remote accounts, statuses, the home timeline and notifications, through `SocialHub`)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from shared.connections import Connection, connection
from shared.context import Context
from shared.contracts import contracts, social
from shared.errors import BadUserInput, Unauthenticated
from shared.graphql import WRITE, federation_schema
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


async def _member(info: Info) -> social.Member:
    """The signed-in member the social hub acts for; UNAUTHENTICATED for anyone else, partners' own tokens too."""
    user_id = info.context.viewer.user_id
    row = await _loader(info).load(user_id) if user_id is not None else None
    if row is None:
        raise Unauthenticated("sign in as a member to use the social hub")
    return social.Member(user_id=row.id, handle=row.handle)


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

    @strawberry.field(description="Their statuses, newest first; followers-only ones for the user themself alone.")
    async def statuses(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Status]:
        page = await contracts.get(social.SocialHub).statuses(
            info.context.session,
            str(self.id),
            include_followers_only=info.context.viewer.user_id == self.id,
            first=first,
            after=after,
        )
        return connection(page, Status.from_dto)

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


FollowStatus = strawberry.enum(social.FollowState, name="FollowStatus")
StatusVisibility = strawberry.enum(
    social.Visibility,
    name="StatusVisibility",
    description="PUBLIC: to everyone, listed; UNLISTED: to everyone, not listed; FOLLOWERS: to followers only.",
)
NotificationKind = strawberry.enum(social.NotificationKind, name="NotificationKind")


@strawberry.type(description="An account on another Fediverse server.")
class RemoteAccount:
    handle: str = strawberry.field(description="user@host, without the leading @.")
    uri: str = strawberry.field(description="Its ActivityPub id.")
    display_name: str | None
    avatar_url: str | None
    follow_status: FollowStatus = strawberry.field(description="Whether the signed-in member follows it.")

    @classmethod
    def from_dto(cls, account: social.RemoteAccount) -> RemoteAccount:
        return cls(
            handle=account.handle,
            uri=account.uri,
            display_name=account.display_name,
            avatar_url=account.avatar_url,
            follow_status=account.follow_status,
        )


StatusAuthor = Annotated[RemoteAccount | User, strawberry.union("StatusAuthor")]


@strawberry.type(description="A post in the social hub: a remote account's, a reply to a member, or a member's own.")
class Status:
    id: strawberry.ID
    uri: str = strawberry.field(description="Its ActivityPub id.")
    url: str | None = strawberry.field(description="Its web page, when its server gives one.")
    content: str = strawberry.field(description="Sanitised HTML; empty for a boost.")
    summary: str | None = strawberry.field(description="A content warning, to show before the content.")
    published_at: datetime
    in_reply_to: str | None = strawberry.field(description="The URI of the status it answers.")
    boost_of: str | None = strawberry.field(description="For a boost: the URI of the status it shares.")
    _status: strawberry.Private[social.Status]

    @strawberry.field(description="Who posted (or boosted) it; null once a member's account is gone.")
    async def author(self, info: Info) -> StatusAuthor | None:
        if self._status.author is not None:
            return RemoteAccount.from_dto(self._status.author)
        row = await _loader(info).load(self._status.author_user_id or "")
        return User.from_row(row) if row is not None else None

    @classmethod
    def from_dto(cls, status: social.Status) -> Status:
        return cls(
            id=strawberry.ID(status.id),
            uri=status.uri,
            url=status.url,
            content=status.content,
            summary=status.summary,
            published_at=status.published_at,
            in_reply_to=status.in_reply_to,
            boost_of=status.boost_of,
            _status=status,
        )


@strawberry.type(description="Something a remote account did to the signed-in member.")
class Notification:
    id: strawberry.ID
    kind: NotificationKind
    account: RemoteAccount = strawberry.field(description="Who followed, replied, liked or boosted.")
    status: Status | None = strawberry.field(
        description="The reply itself; the member's status liked or boosted; null for a follow."
    )
    created_at: datetime

    @classmethod
    def from_dto(cls, notification: social.Notification) -> Notification:
        return cls(
            id=strawberry.ID(notification.id),
            kind=notification.kind,
            account=RemoteAccount.from_dto(notification.account),
            status=Status.from_dto(notification.status) if notification.status is not None else None,
            created_at=notification.created_at,
        )


@strawberry.input
class ComposeStatusInput:
    content: str = strawberry.field(
        description=f"Plain text or a little Markdown (emphasis, code, links); at most {social.MAX_STATUS_CHARS} "
        "characters."
    )
    visibility: StatusVisibility = social.Visibility.PUBLIC
    in_reply_to: strawberry.ID | None = strawberry.field(default=None, description="The id of the status it answers.")


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

    @strawberry.field(description="Posts and boosts of the accounts the signed-in member follows, newest first.")
    async def home_timeline(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Status]:
        member = await _member(info)
        page = await contracts.get(social.SocialHub).home_timeline(info.context.session, member, first, after)
        return connection(page, Status.from_dto)

    @strawberry.field(description="The signed-in member's notifications, newest first.")
    async def notifications(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Notification]:
        member = await _member(info)
        page = await contracts.get(social.SocialHub).notifications(info.context.session, member, first, after)
        return connection(page, Notification.from_dto)


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

    @strawberry.mutation(
        directives=WRITE, description="The signed-in user changes their password; every other sign-in ends."
    )
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

    @strawberry.mutation(
        directives=WRITE, description="Set a user's password without the old one; their sign-ins end. Admins only."
    )
    async def set_password(self, info: Info, user_id: strawberry.ID, new_password: str) -> User:
        async with info.context.transaction() as session:
            row = await service.set_password(session, info.context.viewer, str(user_id), new_password)
        return User.from_row(row)

    @strawberry.mutation(
        directives=WRITE, name="registerOAuthClient", description="Register a partner's client. Admins only."
    )
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
        directives=WRITE,
        name="rotateOAuthClientSecret",
        description="A new secret for a client; the old one stops working. Admins only.",
    )
    async def rotate_oauth_client_secret(self, info: Info, client_id: strawberry.ID) -> OAuthClientSecret:
        async with info.context.transaction() as session:
            row, secret = await clients.rotate_client_secret(session, info.context.viewer, str(client_id))
        return OAuthClientSecret(client=OAuthClient.from_row(row), client_secret=secret)

    @strawberry.mutation(
        directives=WRITE, name="revokeOAuthClient", description="Revoke a client and every token it holds. Admins only."
    )
    async def revoke_oauth_client(self, info: Info, client_id: strawberry.ID) -> OAuthClient:
        async with info.context.transaction() as session:
            row = await clients.revoke_client(session, info.context.viewer, str(client_id))
        return OAuthClient.from_row(row)

    @strawberry.mutation(
        directives=WRITE, description="Change a display name or avatar: the user themself, or an admin."
    )
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

    @strawberry.mutation(directives=WRITE, description="Replace a user's roles. Admins only.")
    async def set_roles(self, info: Info, user_id: strawberry.ID, roles: list[Role]) -> User:
        async with info.context.transaction() as session:
            row = await service.set_roles(session, info.context.viewer, str(user_id), [r.value for r in roles])
        return User.from_row(row)

    @strawberry.mutation(
        directives=WRITE,
        description="The signed-in member follows an account on another server by its handle, user@host; "
        "pending until that server accepts.",
    )
    async def follow_remote(self, info: Info, handle: str) -> RemoteAccount:
        member = await _member(info)
        hub = contracts.get(social.SocialHub)
        context = info.context
        # The look-up waits on another server: made before the transaction, so no lock is held meanwhile.
        found = await hub.find_account(context.session, context.settings, context.cache, member, handle)
        async with context.transaction() as session:
            account = await hub.follow(session, context.settings, member, found.uri)
        return RemoteAccount.from_dto(account)

    @strawberry.mutation(directives=WRITE, description="The signed-in member stops following an account.")
    async def unfollow_remote(self, info: Info, handle: str) -> RemoteAccount:
        member = await _member(info)
        async with info.context.transaction() as session:
            account = await contracts.get(social.SocialHub).unfollow(session, info.context.settings, member, handle)
        return RemoteAccount.from_dto(account)

    @strawberry.mutation(
        directives=WRITE, description="The signed-in member posts a status; it is sent to their followers."
    )
    async def compose_status(self, info: Info, input: ComposeStatusInput) -> Status:
        member = await _member(info)
        draft = social.Draft(
            content=input.content,
            visibility=input.visibility,
            in_reply_to=str(input.in_reply_to) if input.in_reply_to is not None else None,
        )
        async with info.context.transaction() as session:
            status = await contracts.get(social.SocialHub).compose(session, info.context.settings, member, draft)
        return Status.from_dto(status)


schema = federation_schema(Query, Mutation, types=[User])
