"""Security principals: how each is spelt (one builder per principal), and the
registry of the principals plugins grant.

The core grants ``user:<id>``, ``role:…`` and ``community:<id>:<role>`` itself.
``commune_agent(insee)`` names whoever acts for a commune's town hall: the core's
ACLs give it the communities of that commune (and the decision in a validation mode
whose deciders it is); a plugin grants it through ``vvs_principals``. Every principal a
plugin returns must match a pattern declared through ``vvs_register_principals``;
one that does not is dropped and logged, so a misspelt principal never silently
grants or fails to grant.
"""

import logging
import re

from vvs_core.plugins import collect_declared
from vvs_core.hooktypes import PrincipalKind

log = logging.getLogger(__name__)

COMMUNE_AGENT = "commune:{insee}:agent"


def community_principal(community_id: int, role: str) -> str:
    """``role``: "member", "referent", "pending" or "creator"."""
    return f"community:{community_id}:{role}"


def commune_agent(insee: str) -> str:
    """Whoever acts for the town hall of commune ``insee`` (granted by a plugin)."""
    return COMMUNE_AGENT.format(insee=insee)


def _regex(pattern: str) -> re.Pattern:
    parts = re.split(r"\{[a-z_]+\}", pattern)
    return re.compile("[^:]+".join(re.escape(p) for p in parts) + r"\Z")


class PrincipalKinds:
    def __init__(self, kinds=()):
        self.kinds = list(kinds)
        self._patterns = [_regex(k.pattern) for k in self.kinds]

    def declared(self, principal: str) -> bool:
        return any(p.match(principal) for p in self._patterns)

    def staff(self, principal: str) -> bool:
        return any(k.staff and p.match(principal) for k, p in zip(self.kinds, self._patterns))


def collect_principal_kinds(pm) -> PrincipalKinds:
    # The same principal may be granted by two plugins.
    return PrincipalKinds(collect_declared(pm, "vvs_register_principals", PrincipalKind, "principal", "pattern",
                                           again=True).values())


def is_staff(request, user) -> bool:
    """Whether a plugin grants ``user`` a principal declared ``staff``."""
    kinds = getattr(request.registry, "vvs_principal_kinds", None) or PrincipalKinds()
    return any(kinds.staff(p) for p in granted_by_plugins(request, user))


def granted_by_plugins(request, user) -> list[str]:
    """The principals the plugins give ``user``, keeping only declared ones."""
    kinds = getattr(request.registry, "vvs_principal_kinds", None) or PrincipalKinds()
    out = []
    for answer in request.registry.vvs_plugins.hook.vvs_principals(request=request, user=user):
        for principal in answer or []:
            if kinds.declared(principal):
                out.append(principal)
            else:
                log.error("principal %r was returned by vvs_principals but no plugin declares it "
                          "(vvs_register_principals): not granted", principal)
    return out
