"""Validation modes are declared (``vvs_register_validation_modes``): the core renders the
labels, the ACL, the queues and the modes a référent may choose from the registry, and
a community whose stored mode no enabled plugin declares is the platform team's."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from vvs_core.communities.modes import effective_validation_mode
from vvs_core.errors import ConfigurationError
from vvs_core.hooktypes import ValidationMode
from vvs_core.models import Membership
from vvs_core.plugins import collect_declared, hookimpl


@contextmanager
def declaring(registry, *plugins):
    """``plugins`` registered, and the registry's modes collected again as at start-up."""
    pm, saved = registry.vvs_plugins, registry.vvs_validation_modes
    for plugin in plugins:
        pm.register(plugin)
    try:
        registry.vvs_validation_modes = collect_declared(pm, "vvs_register_validation_modes", ValidationMode,
                                                         "validation mode")
        yield
    finally:
        for plugin in plugins:
            pm.unregister(plugin)
        registry.vvs_validation_modes = saved


def council(decider_id: int):
    class Council:
        @hookimpl
        def vvs_register_validation_modes(self):
            return [ValidationMode("conseil", "Validation par le conseil de quartier", "Conseil de quartier",
                                   "le conseil de quartier", "le conseil de quartier",
                                   "Votre demande d'adhésion est examinée par le conseil de quartier.",
                                   deciders=lambda community: [f"user:{decider_id}"])]
    return Council()


def pending(dbsession, make_user, community, **fields):
    resident = make_user(first_name="Mireille", **fields)
    dbsession.add(Membership(user_id=resident.id, community_id=community.id, status="pending"))
    dbsession.flush()
    return resident


def test_vvs_register_validation_modes(testapp, app_registry, make_user, make_community, dbsession):
    """A plugin's mode: offered to the référent, shown in French, its deciders decide."""
    referent, councillor = make_user(), make_user(first_name="Gaston")
    community = make_community(name="Le Bourg", referents=[referent])
    resident = pending(dbsession, make_user, community)
    with declaring(app_registry, council(councillor.id)):
        assert list(app_registry.vvs_validation_modes)[:2] == ["platform", "referent"]  # the core's first
        testapp.login(referent)
        form = testapp.get(f"/communaute/{community.id}/modifier").forms["communaute"]
        assert ("conseil", False, "Validation par le conseil de quartier") in form["validation_mode"].options
        form["validation_mode"] = "conseil"
        form.submit("submit", status=303)
        dbsession.refresh(community)
        assert community.validation_mode == "conseil"
        assert "Validation par le conseil de quartier" in testapp.get(f"/communaute/{community.id}").text
        history = testapp.get(f"/communaute/{community.id}/historique").text
        assert "Mode de validation modifié : validation par le conseil de quartier" in history
        testapp.get(f"/communaute/{community.id}/demandes", status=403)  # no longer the référent's
        testapp.reset()
        testapp.login(councillor)
        queue = testapp.get(f"/communaute/{community.id}/demandes")
        assert "Mireille" in queue.text
        testapp.reset()
        testapp.login(resident)
        assert "examinée par le conseil de quartier" in testapp.get("/").text
        assert "Votre demande d'adhésion est examinée par le conseil de quartier." in testapp.get("/activation").text
        admin = make_user(is_admin=True)
        testapp.reset()
        testapp.login(admin)
        assert "décidée par : Conseil de quartier" in testapp.get("/admin/demandes").text
    assert "conseil" not in app_registry.vvs_validation_modes


def test_a_mode_nobody_declares_is_the_platform_teams(testapp, app_registry, app_request, make_user,
                                                       make_community, dbsession):
    """A community whose mode belongs to a disabled plugin: the platform team validates,
    the pages say so in French, and the stored value stays until a référent picks another."""
    referent = make_user()
    community = make_community(name="Le Bourg", referents=[referent], validation_mode="disparu")
    resident = pending(dbsession, make_user, community)
    assert effective_validation_mode(app_request, community) == "platform"
    testapp.login(referent)
    page = testapp.get(f"/communaute/{community.id}").text
    assert "Validation par l'équipe de la plateforme" in page and "disparu" not in page
    testapp.get(f"/communaute/{community.id}/demandes", status=403)
    form = testapp.get(f"/communaute/{community.id}/modifier").forms["communaute"]
    assert form["validation_mode"].value == "platform"
    form["name"] = "Le Vieux Bourg"
    form.submit("submit", status=303)
    dbsession.refresh(community)
    assert (community.name, community.validation_mode) == ("Le Vieux Bourg", "disparu")
    testapp.reset()
    testapp.login(resident)
    assert "examinée par l'équipe de la plateforme" in testapp.get("/").text
    testapp.reset()
    testapp.login(make_user(is_admin=True))
    queue = testapp.get("/admin/demandes").text
    assert "Mireille" in queue and "décidée par : Équipe de la plateforme" in queue


def test_a_mode_declared_twice_or_not_a_mode_stops_start_up(app_registry):
    class Again:
        @hookimpl
        def vvs_register_validation_modes(self):
            return [ValidationMode("referent", "Validation par le référent", "Référent", "le référent", "un référent")]

    class Wrong:
        @hookimpl
        def vvs_register_validation_modes(self):
            return ["referent"]

    for plugin in (Again(), Wrong()):
        with pytest.raises(ConfigurationError, match="validation mode|ValidationMode"):
            with declaring(app_registry, plugin):
                pass
