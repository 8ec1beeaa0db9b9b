"""Who an alert reaches, and on which channels.

Every active member of the alert's community (but its author) on the channels they
chose for alerts (``User.notification_prefs["alert"]``, SMS and e-mail by default;
choosing none still leaves one: alerts cannot be refused entirely), plus whoever the
``vvs_alert_recipients`` hook adds, on the channels the hook allows. A channel needs
an address (a mobile for SMS, a landline for a call: a resident with only a landline
gets a call where others get an SMS) and a configured provider.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from vvs_core.models import Commune, Community, Membership, User
from vvs_core.hooktypes import NotificationKind
from vvs_core.models.notification import CHANNELS
from vvs_core.notify.kinds import address_on as address_for
from vvs_core.notify.kinds import channels_for as channels_for_kind
from vvs_core.notify.kinds import kinds_of
from vvs_core.providers import channels_with_provider

DEFAULT_CHANNELS = ("sms", "email")  # as declared in __init__ (vvs_register_notification_kinds)
_USER_COLUMNS = (User.id, User.email, User.mobile, User.landline, User.notification_prefs, User.status)


@dataclass(frozen=True)
class AlertForHooks:
    """What ``vvs_alert_recipients`` receives (see its docstring)."""
    id: int
    community_id: int
    commune_insee: str
    kind: str
    severity: str


@dataclass(frozen=True)
class Target:
    user_id: int
    channel: str
    address: str
    shown: str = "name"  # how the alert's people are named to them (``Recipient.shown``)


ALERT = NotificationKind("alert", "", always_reach=True, default_channels=DEFAULT_CHANNELS, voice=True)


def channels_for(request, row, allowed, usable=None) -> list[str]:
    """The channels ``row`` (a user) gets an alert on, among ``allowed`` (the core's
    one rule: their choice for "alert", never none when one is possible). ``usable``:
    the channels with a provider, when the caller looked them up once for many rows."""
    kinds = kinds_of(request.registry)
    kind = kinds.get("alert") if "alert" in kinds else ALERT
    usable = channels_with_provider(request) if usable is None else usable
    return channels_for_kind(row, kind, [c for c in usable if c in allowed])


def hook_view(dbsession, alert) -> AlertForHooks:
    insee = dbsession.scalar(sa.select(Commune.insee).join(Community, Community.commune_id == Commune.id)
                             .where(Community.id == alert.community_id))
    return AlertForHooks(alert.id, alert.community_id, insee or "", alert.category, alert.severity)


def member_rows(dbsession, community_id: int, exclude_user_id=None):
    stmt = (sa.select(*_USER_COLUMNS).join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community_id, Membership.status == "active",
                   User.status != "closed"))
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    return dbsession.execute(stmt).all()


def split_members(dbsession, community_id: int, exclude_user_id=None, in_sql=lambda addresses: True):
    """The active members (author excepted), read once: (ids, ascending, of those who chose
    nothing at all and whose set of addresses (has e-mail, has mobile, has landline)
    ``in_sql`` accepts, the rows of the others)."""
    chose_nothing = sa.or_(User.notification_prefs.is_(None),
                           sa.cast(User.notification_prefs, sa.Text).in_(["{}", "null"]))
    has = [sa.func.coalesce(c, "") != "" for c in (User.email, User.mobile, User.landline)]
    stmt = (sa.select(User.id, chose_nothing, *has).join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community_id, Membership.status == "active",
                   User.status != "closed").order_by(User.id))
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    nothing, chose = [], []
    for user_id, empty, *addresses in dbsession.execute(stmt):
        (nothing if empty and in_sql(tuple(map(bool, addresses))) else chose).append(user_id)
    rows = users_by_id(dbsession, chose)
    return nothing, [rows[i] for i in chose if i in rows]


class _Addresses:
    """A user with only the addresses that matter to ``channels_for`` (a set's example)."""

    def __init__(self, email, mobile, landline):
        self.id, self.notification_prefs = 0, {}
        self.email, self.mobile, self.landline = ("x" if email else ""), ("x" if mobile else ""), ("x" if landline else "")


def default_channel_sets(request) -> dict[tuple, list[str]]:
    """{(has e-mail, has mobile, has landline): channels} for a member who chose nothing:
    what ``alert_audience`` gives them, worked out once for each set of addresses."""
    usable = channels_with_provider(request)
    return {(e, m, l): channels_for(request, _Addresses(e, m, l), CHANNELS, usable)
            for e in (True, False) for m in (True, False) for l in (True, False)}


def users_by_id(dbsession, ids) -> dict:
    ids = sorted(set(ids))
    found = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for row in dbsession.execute(sa.select(*_USER_COLUMNS).where(User.id.in_(chunk), User.status != "closed")):
            found[row.id] = row
    return found


def alert_audience(request, alert, members=None, skip=frozenset()) -> list[Target]:
    """Every (user, channel, address) the first message of ``alert`` goes to. ``members``:
    the member rows to use (default: every active member); ``skip``: members the caller
    writes in SQL (``fanout.insert_in_sql``), not reached again through ``vvs_alert_recipients``."""
    db = request.dbsession
    targets: dict[int, list[Target]] = {}
    usable = channels_with_provider(request)  # once, not once per member
    # A member who chose nothing gets the default channels they have an address for: worked
    # out once per set of addresses, not once per member (100,000 in a commune-wide community).
    by_addresses: dict[tuple, list[str]] = {}
    for row in member_rows(db, alert.community_id, alert.author_id) if members is None else members:
        if row.notification_prefs:
            channels = channels_for(request, row, CHANNELS, usable)
        else:
            addresses = (bool(row.email), bool(row.mobile), bool(row.landline))
            if addresses not in by_addresses:
                by_addresses[addresses] = channels_for(request, row, CHANNELS, usable)
            channels = by_addresses[addresses]
        targets[row.id] = [Target(row.id, c, address_for(row, c)) for c in channels]
    extra = {user_id: added for user_id, added in hook_recipients(request, alert).items()
             if user_id not in targets and user_id not in skip and user_id != alert.author_id}  # members: their choice
    for user_id, row in users_by_id(db, extra).items():
        allowed, shown = extra[user_id]
        targets[user_id] = [Target(user_id, c, address_for(row, c), shown)
                            for c in channels_for(request, row, allowed, usable)]
    return [t for user_targets in targets.values() for t in user_targets]


def hook_recipients(request, alert) -> dict[int, tuple[set, str]]:
    """{user id: (channels allowed, how people are named to them)} of those ``vvs_alert_recipients``
    adds: the channels of every answer naming them; "name" if one answer grants it (a mairie
    agent of the commune who also lives in a twinned community opens the alert's page)."""
    extra: dict[int, tuple[set, str]] = {}
    for answer in request.registry.vvs_plugins.hook.vvs_alert_recipients(
            request=request, alert=hook_view(request.dbsession, alert)):
        for recipient in answer or []:
            channels, shown = extra.get(recipient.user_id, (set(), recipient.shown))
            extra[recipient.user_id] = (channels | set(recipient.channels), "name" if "name" in (shown, recipient.shown)
                                        else recipient.shown)
    return extra


def previous_reach(request, alert) -> list[Target]:
    """Everyone the alert's first message was for, on the same channels (for updates). People
    are named to the community's members, and to whom ``vvs_alert_recipients`` says so today;
    to anyone else by pseudonym (a twinned community's members, even if the twinning has ended)."""
    from vvs_core.models import Notification

    db = request.dbsession
    members = set(db.scalars(sa.select(Membership.user_id).where(
        Membership.community_id == alert.community_id, Membership.status == "active")))
    named = {user_id for user_id, (_channels, how) in hook_recipients(request, alert).items() if how == "name"}
    pairs = db.execute(
        sa.select(Notification.recipient_id, Notification.channel).distinct()
        .where(Notification.subject_type == "alert", Notification.subject_id == alert.id, Notification.kind == "alert")
    ).all()
    rows = users_by_id(db, [user_id for user_id, _c in pairs if user_id is not None])
    targets = []
    for user_id, channel in pairs:
        row = rows.get(user_id)
        if row is not None and address_for(row, channel):
            shown = "name" if user_id in members or user_id in named else "pseudonym"
            targets.append(Target(user_id, channel, address_for(row, channel), shown))
    return targets


