"""The social hub's implementation of `shared.contracts.social.SocialHub`, registered for the federation subgraph.

Accounts and follows are in `social_accounts`, statuses and the home timeline
in `social_statuses`, notifications in `social_notifications`; what arrives
in inboxes for members is kept by `social_inbox`.
"""

from __future__ import annotations

from activitypub import social_accounts, social_notifications, social_statuses
from shared.contracts import ContractRegistry
from shared.contracts.social import SocialHub


class ActivityPubSocialHub:
    find_account = staticmethod(social_accounts.find_account)
    follow = staticmethod(social_accounts.follow)
    unfollow = staticmethod(social_accounts.unfollow)
    compose = staticmethod(social_statuses.compose)
    home_timeline = staticmethod(social_statuses.home_timeline)
    notifications = staticmethod(social_notifications.notifications)
    statuses = staticmethod(social_statuses.member_statuses)


SOCIAL_HUB = ActivityPubSocialHub()


def register(registry: ContractRegistry) -> None:
    registry.register(SocialHub, SOCIAL_HUB)
