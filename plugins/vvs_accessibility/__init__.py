"""vvs_accessibility: the accessibility statement (déclaration d'accessibilité, RGAA 4.1)
at ``/accessibilite``, linked from the footer of every page with the conformance it
states (« Accessibilité : non conforme », ``vvs.accessibility.conformity``), as the law
wants of public bodies; and ``vvs accessibility INI``, which turns the browser tests'
axe-core results (tests/e2e) into the measures the statement publishes
(``data/accessibility.json``, shipped with the code). See docs/accessibility.md.

Enabled in development.ini and production.ini: a commune or a public body must publish
the statement. Disabled, no route, footer link or command remains.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import Command, FooterLink


def includeme(config):
    config.add_route("accessibility", "/accessibilite")
    config.scan(".views")


@hookimpl
def vvs_register_settings():
    from vvs_core.settings import Setting

    from .statement import parse_conformity

    return [Setting("vvs.accessibility.conformity", "non", "Conformance stated by the accessibility statement (/accessibilite) and the footer: `non`, `partiellement` or `totalement` (conforme). The RGAA requires `non` until a complete RGAA audit has been done; the statement always publishes the automated measurements of the browser tests.", parse=parse_conformity)]


@hookimpl
def vvs_register_commands():
    from .command import add_arguments, publish_measures

    return [Command("accessibility", "turn the browser tests' axe-core results into the data of the /accessibilite page",
                    publish_measures, add_arguments)]


@hookimpl
def vvs_footer_links(request):
    """« Accessibilité : non conforme »: the mention the RGAA requires in the footer of every page."""
    from .statement import conformity_label

    return [FooterLink(f"Accessibilité : {conformity_label(request.registry.settings)}", request.route_path("accessibility"))]
