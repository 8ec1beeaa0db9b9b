"""The hooks that vvs_mairie calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_mairie is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_mairie is disabled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from datetime import datetime

    from pyramid.request import Request

    from vvs_core.hooktypes import Panel
    from vvs_core.models import Commune


@hookspec
def vvs_commune_activity(request: Request, commune: Commune, since: datetime) -> list[dict]:
    """What happened in ``commune`` since ``since``, for the mairie's live dashboard and reports.

    Called by vvs_mairie each time an agent's dashboard polls (every few seconds)
    and when a monthly report is built; keep it to one indexed query.
    commune: the core ``Commune``. since: an aware UTC ``datetime``.
    Returns: a list of dicts, newest first, each with ``kind`` (e.g. "alert"),
    ``id`` (int, the plugin's own id), ``title``, ``category`` (a short label),
    ``community_id`` (or None), ``created_at`` (aware datetime or ISO 8601 string),
    ``lon`` and ``lat`` (floats or None), ``url`` (where an agent reads it, or None)
    and ``author_id`` (the resident's user id, so the mairie can tell them it has
    taken the alert into account). Optional: ``severity`` (a short label),
    ``severity_key``, ``state`` (``held``, ``active``, ``ended`` or ``withdrawn``) and
    ``state_label``: held, withdrawn and ended items are returned too, so that the
    mairie keeps them, labelled; reports count only ``active`` and ``ended`` ones.
    """


@hookspec
def vvs_dashboard_widgets(request: Request, commune: Commune) -> list[Panel]:
    """Blocks of the mairie dashboard of ``commune``.

    Called when a mairie agent opens the dashboard.
    Returns: a list of ``Panel``.
    """


@hookspec
def vvs_commune_alert_followers(request: Request, commune: Commune, target: dict) -> list[dict]:
    """People without an account who follow the town hall of ``commune`` and whom a
    commune alert aimed at ``target`` reaches (a public channel: a confirmed number or
    address, nothing else).

    Called by vvs_mairie when an agent reviews a commune alert (the reach estimate), when
    it is sent, and before an update or all-clear is sent (only those still following
    get it).
    target: ``target`` (``"commune"``, ``"communities"`` or ``"area"``), ``community_ids``
    (list of int), ``area`` (a Shapely ``Polygon`` in (lon, lat), or None) and
    ``channels`` (the channels that have a provider).
    Returns: a list of dicts, one per follower and channel: ``key`` (lower-case ASCII
    letters, digits and "-", with at least one letter, at most 40 characters, stable:
    e.g. ``"abonne-12"``; it is part of the notification's dedupe key
    ``mairie-alert:{alert id}:{key}:{channel}``, and names the follower in the proof of
    warning), ``channel`` (one of ``target["channels"]``) and ``address`` (the E.164
    number or the e-mail address; for ``push``, the key again: the plugin's
    ``vvs_render_notification`` names the browser). Keep it to one query.
    """


@hookspec
def vvs_commune_news_published(request: Request, commune: Commune, news: dict) -> None:
    """The mairie of ``commune`` published a communication (its news, shown in every
    gazette of the commune): tell whoever follows it by other means.

    Called by vvs_mairie in the agent's request, once the communication is written (its
    transaction; queue notifications with the outbox, never send in the request).
    news: ``id`` (int, stable: use it in dedupe keys), ``title`` and ``text`` (plain
    text, as the agent wrote them).
    Returns: nothing.
    """
