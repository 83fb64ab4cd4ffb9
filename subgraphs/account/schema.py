"""The account subgraph's GraphQL types: profiles and newsletters.

`User.profile` and `User.newsletters` are contributed to the federation subgraph's user.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from shared import validation
from shared.connections import Connection, connection
from shared.context import Context
from shared.contracts import contracts
from shared.contracts.posts import PublishedPosts
from shared.graphql import WRITE, federation_schema
from subgraphs.account import issues, models, newsletters, service, subscriptions
from subgraphs.account.models import Issue as IssueRow
from subgraphs.account.models import Newsletter as NewsletterRow
from subgraphs.account.models import Profile as ProfileRow
from subgraphs.account.models import Subscription as SubscriptionRow

Info = strawberry.Info[Context, None]


def _loader(info: Info) -> DataLoader[str, ProfileRow]:
    context = info.context
    return context.loader("profiles", lambda ids: service.profiles_for(context.session, ids))


def _newsletters(info: Info) -> DataLoader[str, NewsletterRow | None]:
    context = info.context
    return context.loader("newsletters", lambda ids: newsletters.by_ids(context.session, ids))


def _subscriber_counts(info: Info) -> DataLoader[str, int]:
    context = info.context
    return context.loader("subscriber-counts", lambda ids: newsletters.subscriber_counts(context.session, ids))


def _delivery_counts(info: Info) -> DataLoader[str, issues.DeliveryCounts]:
    context = info.context
    return context.loader("delivery-counts", lambda ids: issues.delivery_counts(context.session, ids))


@strawberry.type
class Profile:
    bio: str
    locale: str
    time_zone: str = strawberry.field(description="An IANA time zone, for showing times to this member.")

    @classmethod
    def from_row(cls, row: ProfileRow) -> Profile:
        return cls(bio=row.bio, locale=row.locale, time_zone=row.time_zone)


@strawberry.enum(description="How often a newsletter means to go out.")
class Cadence(Enum):
    WEEKLY = models.Cadence.WEEKLY.value
    FORTNIGHTLY = models.Cadence.FORTNIGHTLY.value
    MONTHLY = models.Cadence.MONTHLY.value


@strawberry.enum
class SubscriptionStatus(Enum):
    PENDING = strawberry.enum_value(
        models.SubscriptionStatus.PENDING.value, description="Waiting for the address's owner to confirm."
    )
    CONFIRMED = models.SubscriptionStatus.CONFIRMED.value
    UNSUBSCRIBED = models.SubscriptionStatus.UNSUBSCRIBED.value


@strawberry.federation.type(keys=["id"])
class Newsletter:
    id: strawberry.ID
    name: str
    description: str
    cadence: Cadence
    created_at: datetime
    _row: strawberry.Private[NewsletterRow]

    @strawberry.field(description="How many confirmed subscribers it has. Admins only: null for everyone else.")
    async def subscriber_count(self, info: Info) -> int | None:
        if not info.context.viewer.has_role("admin"):
            return None
        return await _subscriber_counts(info).load(self._row.id)

    @strawberry.field(description="Its confirmed subscribers, newest first. Admins only: null for everyone else.")
    async def subscribers(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[NewsletterSubscription] | None:
        if not info.context.viewer.has_role("admin"):
            return None
        page = await subscriptions.of_newsletter(info.context.session, self._row.id, first, after)
        return connection(page, NewsletterSubscription.from_row)

    @strawberry.field(
        description="The issues sent so far, newest first: the newsletter's archive, each as it was mailed, "
        "so it keeps posts unpublished since."
    )
    async def issues(self, info: Info, first: int = 20, after: str | None = None) -> Connection[NewsletterIssue]:
        page = await issues.of_newsletter(info.context.session, self._row.id, first, after)
        return connection(page, NewsletterIssue.from_row)

    @classmethod
    def from_row(cls, row: NewsletterRow) -> Newsletter:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            cadence=Cadence(row.cadence),
            created_at=row.created_at,
            _row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Newsletter | None:
        row = await _newsletters(info).load(str(id))
        return cls.from_row(row) if row is not None else None


async def _newsletter(info: Info, newsletter_id: str) -> Newsletter:
    row = await _newsletters(info).load(newsletter_id)
    if row is None:  # a foreign key guarantees it; this only keeps the type checker honest
        raise LookupError(f"newsletter {newsletter_id} is missing")
    return Newsletter.from_row(row)


@strawberry.type(description="How an issue's mail is getting on.")
class IssueDeliveryCounts:
    pending: int = strawberry.field(description="Waiting to be sent, or being sent.")
    sent: int
    failed: int = strawberry.field(
        description="Not delivered: refused for good, out of attempts, or unsubscribed before their turn."
    )


@strawberry.type
class NewsletterIssue:
    id: strawberry.ID
    number: int = strawberry.field(description="1 for a newsletter's first issue, then 2, 3...")
    subject: str
    html: str = strawberry.field(description="The body all recipients share; each mail adds its unsubscribe footer.")
    text: str = strawberry.field(description="The plain text body, likewise.")
    created_at: datetime
    _row: strawberry.Private[IssueRow]

    @strawberry.field
    async def newsletter(self, info: Info) -> Newsletter:
        return await _newsletter(info, self._row.newsletter_id)

    @strawberry.field(description="How its mail is getting on. Admins only: null for everyone else.")
    async def deliveries(self, info: Info) -> IssueDeliveryCounts | None:
        if not info.context.viewer.has_role("admin"):
            return None
        counts = await _delivery_counts(info).load(self._row.id)
        return IssueDeliveryCounts(pending=counts.pending, sent=counts.sent, failed=counts.failed)

    @classmethod
    def from_row(cls, row: IssueRow) -> NewsletterIssue:
        return cls(
            id=strawberry.ID(row.id),
            number=row.number,
            subject=row.subject,
            html=row.html,
            text=row.text,
            created_at=row.created_at,
            _row=row,
        )


@strawberry.type
class NewsletterSubscription:
    id: strawberry.ID
    email: str
    status: SubscriptionStatus
    created_at: datetime
    confirmed_at: datetime | None
    _row: strawberry.Private[SubscriptionRow]

    @strawberry.field
    async def newsletter(self, info: Info) -> Newsletter:
        return await _newsletter(info, self._row.newsletter_id)

    @classmethod
    def from_row(cls, row: SubscriptionRow) -> NewsletterSubscription:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            status=SubscriptionStatus(row.status),
            created_at=row.created_at,
            confirmed_at=row.confirmed_at,
            _row=row,
        )


@strawberry.type(
    description="The same answer whether or not the address was subscribed already, so it tells nobody; "
    "the address's owner finds a confirmation link in their inbox unless it needs none."
)
class SubscribePayload:
    newsletter: Newsletter
    email: str


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field(description="Bio and preferences; the platform's defaults until the member sets them.")
    async def profile(self, info: Info) -> Profile:
        return Profile.from_row(await _loader(info).load(str(self.id)))

    @strawberry.field(
        description="The newsletters this member subscribed to while signed in, confirmed, newest first. "
        "Visible only to the member and to admins: null for everyone else."
    )
    async def newsletters(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[NewsletterSubscription] | None:
        if not subscriptions.can_see_user_subscriptions(info.context.viewer, str(self.id)):
            return None
        page = await subscriptions.of_user(info.context.session, str(self.id), first, after)
        return connection(page, NewsletterSubscription.from_row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.input
class PreferencesInput:
    user_id: strawberry.ID
    bio: str | None = None
    locale: str | None = None
    time_zone: str | None = None


@strawberry.input
class CreateNewsletterInput:
    name: str
    cadence: Cadence
    description: str = ""


@strawberry.input
class UpdateNewsletterInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    cadence: Cadence | None = None


@strawberry.type
class Query:
    @strawberry.field(description="Every newsletter, newest first.")
    async def newsletters(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Newsletter]:
        page = await newsletters.listing(info.context.session, first, after)
        return connection(page, Newsletter.from_row)

    @strawberry.field
    async def newsletter(self, info: Info, id: strawberry.ID) -> Newsletter | None:
        row = await _newsletters(info).load(str(id))
        return Newsletter.from_row(row) if row is not None else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        directives=WRITE, description="Change a member's bio, locale or time zone: the member, or an admin."
    )
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

    @strawberry.mutation(directives=WRITE, description="Start a newsletter. Admins only.")
    async def create_newsletter(self, info: Info, input: CreateNewsletterInput) -> Newsletter:
        async with info.context.transaction() as session:
            row = await newsletters.create(
                session,
                info.context.viewer,
                name=input.name,
                description=input.description,
                cadence=models.Cadence(input.cadence.value),
            )
        return Newsletter.from_row(row)

    @strawberry.mutation(
        directives=WRITE, description="Change a newsletter's name, description or cadence. Admins only."
    )
    async def update_newsletter(self, info: Info, input: UpdateNewsletterInput) -> Newsletter:
        async with info.context.transaction() as session:
            row = await newsletters.update(
                session,
                info.context.viewer,
                str(input.id),
                name=input.name,
                description=input.description,
                cadence=models.Cadence(input.cadence.value) if input.cadence is not None else None,
            )
        return Newsletter.from_row(row)

    @strawberry.mutation(
        description="Ask for a newsletter at an address: anyone may. A link to confirm is mailed to the address."
    )
    async def subscribe(self, info: Info, newsletter_id: strawberry.ID, email: str) -> SubscribePayload:
        async with info.context.transaction() as session:
            row = await subscriptions.subscribe(
                session, info.context.viewer, str(newsletter_id), email, mail_from=info.context.settings.mail_from
            )
        return SubscribePayload(newsletter=Newsletter.from_row(row), email=validation.email(email, field="email"))

    @strawberry.mutation(description="Confirm a subscription with the token from the mailed link.")
    async def confirm_subscription(self, info: Info, token: str) -> NewsletterSubscription:
        async with info.context.transaction() as session:
            row = await subscriptions.confirm(session, token)
        return NewsletterSubscription.from_row(row)

    @strawberry.mutation(description="End a subscription with the token from the link in any of its issues.")
    async def unsubscribe(self, info: Info, token: str) -> NewsletterSubscription:
        async with info.context.transaction() as session:
            row = await subscriptions.unsubscribe(session, token)
        return NewsletterSubscription.from_row(row)

    @strawberry.mutation(
        directives=WRITE,
        description="Build the next issue from the blog's posts since the previous one and mail it to every "
        "confirmed subscriber. Refused when there is nothing new. Admins only.",
    )
    async def send_newsletter_issue(self, info: Info, newsletter_id: strawberry.ID) -> NewsletterIssue:
        async with info.context.transaction() as session:
            row = await issues.send_issue(
                session,
                info.context.viewer,
                str(newsletter_id),
                posts=contracts.get(PublishedPosts),
                settings=info.context.settings,
            )
        return NewsletterIssue.from_row(row)


schema = federation_schema(Query, Mutation, types=[User, Newsletter])
