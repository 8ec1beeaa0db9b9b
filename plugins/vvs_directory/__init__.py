"""vvs_directory: l'annuaire of each community — its page (searched, 40 members a
page), its JSON page and CSV export, the contact card of a member, and its endpoint in
the JSON API (``vvs_api_endpoints``, while vvs_api is enabled).

A number a member hides never reaches a neighbour; a mairie agent of the commune sees
it, and each such view is a ``hidden_phone_viewed`` community event (audit). Links to
it appear under each community (home page, community page, référent's tools) through
``vvs_community_links``. Disabled, no route, link or API endpoint remains.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import CommunityLink, EventKind

LABELS = {"home": "Annuaire des voisins", "community": "Annuaire", "referent": "Annuaire : voir les membres"}


def includeme(config):
    config.include(".views")


def describe_hidden_views(event) -> str:
    from vvs_core.web.french import count

    return f" ({count(len((event.data or {}).get('user_ids', [])), 'membre', 'membres')})"


@hookimpl
def vvs_register_event_kinds():
    return [EventKind("hidden_phone_viewed", "Numéros masqués consultés", describe=describe_hidden_views)]


@hookimpl
def vvs_community_links(request, communities, place):
    label = LABELS.get(place)
    if label is None:
        return []
    return [CommunityLink(c.id, label, request.route_path("directory", community_id=c.id), order=10)
            for c in communities]


@hookimpl(optionalhook=True)
def vvs_api_endpoints(api):
    from .api import declare

    declare(api)
