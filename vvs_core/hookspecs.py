"""Every hook of vvs: the contract between the core and plugins.

Plugins implement these with ``@vvs_core.hookimpl``. Hooks collect lists (each
plugin's answer is one element of the list the caller gets) unless marked
``firstresult``, in which case the first non-None answer wins. The reference in
docs/plugin-hooks.md is generated from these docstrings (``vvs docs hooks``).
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("vvs")


# --- Start-up registries ------------------------------------------------------

@hookspec
def vvs_register_settings():
    """Declare the settings a plugin reads.

    Called once at start-up, before settings are checked.
    Returns: a list of ``vvs_core.settings.Setting``. Every ``vvs.*`` key in the
    .ini must be declared by the core or by an enabled plugin, or start-up stops.
    """


@hookspec
def vvs_register_providers():
    """Offer providers (SMS, e-mail, geocoder, push, identity…).

    Called once at start-up. Returns: a list of ``vvs_core.hooktypes.ProviderSpec``.
    The .ini chooses one provider per kind by name; its settings are validated and
    its factory called once, and the service registered for ``request.find_service``.
    """


@hookspec(historic=True)
def vvs_startup(registry):
    """The application is configured.

    Called once after every plugin was included and the configuration committed
    (historic: a plugin registered later is called too).
    registry: the Pyramid registry (``registry.settings``, ``registry.vvs_plugins``).
    Returns nothing.
    """


# --- Page composition ---------------------------------------------------------

@hookspec
def vvs_menu_items(request):
    """Add entries to the header menu.

    Called on every page render for the current user; the whole menu is cached per user,
    principals and language until the next write to the database (or
    ``vvs.cache_seconds``), so the answer must not depend on the page being shown: check
    permissions against ``RootContext(request)`` or a context you build, not
    ``request.context``.
    request: the current request (``request.user`` may be None).
    Returns: a list of ``MenuItem`` (or None). Only show what the user may open.
    """


@hookspec
def vvs_principals(request, user):
    """Add security principals to a signed-in user.

    Called once per request by the security policy.
    user: the signed-in ``User``.
    Returns: a list of strings such as ``"commune:77449:agent"`` that ACLs can name.
    """


@hookspec
def vvs_community_panels(request, community):
    """Add blocks to the community page ("Ma communauté").

    Called when a member opens the page of ``community``.
    Returns: a list of ``Panel`` with rendered HTML.
    """


@hookspec
def vvs_home_activity(request, user):
    """Recent activity to show on the resident's home page.

    Called when ``user`` opens their home page; the answer is cached per user and language
    until the next write to the database (or ``vvs.cache_seconds``).
    Returns: a list of ``ActivityItem`` (the core sorts them, newest first).
    """


@hookspec
def vvs_alert_panels(request, alert):
    """Blocks under a residents' alert on its page (e.g. the mairie's follow-up and replies).

    Called by the alerts plugin when someone who may read ``alert`` opens its page.
    alert: an object with ``id``, ``community_id``, ``commune_id`` and ``author_id``.
    Returns: a list of ``Panel`` with rendered HTML; show each viewer only what is theirs
    to read (a reply to the author is for the author and staff).
    """


@hookspec
def vvs_alert_held(request, alert):
    """A residents' alert waits for a validation (pre-moderation) before it goes out.

    Called by the alerts plugin when the alert is held, inside the request's
    transaction (queue notifications through the outbox, which sends after commit).
    alert: an object with ``id``, ``community_id``, ``commune_id``, ``text`` and ``created_at``.
    Returns nothing.
    """


@hookspec
def vvs_dashboard_widgets(request, commune):
    """Blocks of the mairie dashboard of ``commune``.

    Called when a mairie agent opens the dashboard.
    Returns: a list of ``Panel``.
    """


# --- Lifecycle events ---------------------------------------------------------

@hookspec
def vvs_user_registered(request, user):
    """A resident finished signing up (e-mail not yet confirmed).

    Called inside the sign-up transaction. Returns nothing.
    """


@hookspec
def vvs_membership_requested(request, membership):
    """A resident asked to join a community (``membership.status == "pending"``).

    Called inside the request's transaction. Returns nothing.
    """


@hookspec
def vvs_membership_decided(request, membership):
    """A membership request was accepted or refused (``membership.status``).

    Called inside the deciding transaction. Returns nothing.
    """


@hookspec
def vvs_community_created(request, community):
    """A community was created. Returns nothing."""


@hookspec
def vvs_boundary_changed(request, community, old_boundary):
    """A référent saved a new boundary for ``community``.

    old_boundary: the previous Shapely polygon. Returns nothing.
    """


@hookspec
def vvs_account_closing(request, user):
    """``user`` is closing their account; called before their data is erased.

    Returns nothing.
    """


# --- Validation and verification ----------------------------------------------

@hookspec(firstresult=True)
def vvs_validation_mode_imposed(request, community):
    """Who decides who joins ``community``, when something imposes it.

    Called when a community's validation mode is read or edited.
    Returns: ``"platform"``, ``"referent"`` or ``"mairie"`` to impose that mode
    (the référent then cannot change it), or None to leave the community's own choice.
    """


@hookspec
def vvs_verification_methods(request, user):
    """Ways ``user`` can prove their address or identity.

    Called on the pending resident's page and by the validation queues.
    Returns: a list of objects with ``name``, ``label``, ``description`` and
    ``url`` (where the resident starts it), and ``status(user)`` giving
    "none", "pending", "passed" or "failed".
    """


@hookspec
def vvs_membership_blockers(request, membership):
    """Reasons a pending membership may not be accepted yet.

    Called before a référent, agent or the platform team accepts a request.
    Returns: a list of French sentences (e.g. "Justificatif de domicile non vérifié"),
    empty when nothing blocks.
    """


# --- Audiences ----------------------------------------------------------------

@hookspec
def vvs_alert_recipients(request, alert):
    """Who else an alert reaches, besides its community's active members.

    Called once per alert when it is sent.
    alert: an object with ``community_id``, ``commune_insee``, ``id`` and ``kind``.
    Returns: a list of ``Recipient`` (user id and allowed channels).
    """


@hookspec
def vvs_messageable_users(request, user):
    """Users outside ``user``'s community that ``user`` may write to.

    Called by the messaging plugin when listing or checking recipients.
    Returns: a list of ``(user_id, how_shown)`` pairs, ``how_shown`` being
    "pseudonym" (twinned community) or "name".
    """


@hookspec
def vvs_gazette_items(request, community):
    """Extra gazette entries for ``community`` (e.g. the mairie's communications).

    Returns: a list of dicts with ``title``, ``text``, ``author``, ``created_at``
    and ``source``.
    """


# --- Who handles it (firstresult) ---------------------------------------------

@hookspec(firstresult=True)
def vvs_landing_url(request, user):
    """Where ``user`` lands after signing in when no page was asked for.

    Called by the login view. Returns: a path (e.g. the mairie's dashboard for an
    agent), or None to leave it to another plugin or the resident's home page.
    """


@hookspec(firstresult=True)
def vvs_inbound_sms(request, message):
    """An SMS reached the service number: who handles it?

    message: an ``InboundSMS``. Returns: a short French reply to send back to the
    sender, or None to let another plugin handle it.
    """


@hookspec(firstresult=True)
def vvs_render_notification(request, notification, channel):
    """Render the text of ``notification`` for ``channel`` ("sms", "email", "push").

    The core's default (``trylast``) renders the stored subject and body.
    Returns: a dict with ``subject``, ``text`` and optionally ``html``, or None.
    """


# --- GDPR ---------------------------------------------------------------------

@hookspec
def vvs_export_user_data(request, user):
    """Personal data a plugin holds about ``user``, for "Télécharger mes données".

    Returns: a dict ``{"section name": JSON-serialisable data}``.
    """


@hookspec
def vvs_erase_user_data(request, user):
    """Erase or anonymise the personal data a plugin holds about ``user``.

    Called when the account is closed, inside that transaction. Returns nothing.
    """


# --- vvs_mairie ---------------------------------------------------------------
# Declared by the mairie plugin; implemented by the plugins that hold activity.

@hookspec
def vvs_commune_activity(request, commune, since):
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
def vvs_demo_data(dbsession, commune):
    """Add a plugin's part of the demo data to the demo ``commune`` just loaded.

    Called by ``vvs_core.demo.load_demo`` after the core's demo rows are flushed,
    inside the caller's transaction (flush, never commit). Must be idempotent: a
    second call changes nothing. Returns nothing.
    """
