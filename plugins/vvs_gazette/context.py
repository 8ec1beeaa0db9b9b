"""The gazette's route context: a community, with who may read, post and moderate."""
from __future__ import annotations

from functools import cached_property

from pyramid.authorization import Allow

from vvs_core.accounts.principals import commune_agent
from vvs_core.accounts.security import CommunityContext, community_factory


class GazetteContext(CommunityContext):
    """``gazette.view``: members and the commune's agents; ``gazette.post``: members;
    ``gazette.moderate``: the community's référents and the platform moderators.

    The ACL is computed once per request: a gazette page checks several permissions
    (its own, the menu's, the page's buttons), and the core's ACL asks the plugins
    whether a validation mode is imposed (a query) each time it is built."""

    @cached_property
    def __acl__(self):
        c = self.community
        insee, _deciders = self.acl_facts
        return [
            *super().__acl__,
            (Allow, f"community:{c.id}:member", ("gazette.view", "gazette.post")),
            (Allow, f"community:{c.id}:referent", ("gazette.view", "gazette.post", "gazette.moderate")),
            (Allow, commune_agent(insee), "gazette.view"),
            (Allow, "role:moderator", ("gazette.view", "gazette.moderate")),
        ]


def gazette_factory(request):
    return GazetteContext(request, community_factory(request).community)
