"""Every hook of vvs: the contract between the core and plugins.

Plugins implement these with ``@vvs_core.hookimpl``. Hooks collect lists (each
plugin's answer is one element of the list the caller gets) unless marked
``firstresult``, in which case the first non-None answer wins. The reference in
docs/plugin-hooks.md is generated from these signatures and docstrings
(``vvs docs INI``). Hooks that only plugins call are declared by the plugin that calls
them (``vvs_addhooks``), not here."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pyramid.registry import Registry
    from pyramid.request import Request
    from shapely.geometry import Polygon
    from sqlalchemy.orm import Session

    from .hooktypes import (ActivityItem, Authenticated, Command, CommunityLink, EventKind, FooterLink, InboundSMS,
                            KeypadAnswer, MembershipBadge, MenuItem, NotificationKind, Panel, PrincipalKind, ProviderSpec, SettingsSection,
                            ValidationMode, VerificationMethod)
    from .models import Commune, Community, Membership, Notification, User
    from .settings import Setting

hookspec = pluggy.HookspecMarker("vvs")


# --- Start-up registries ------------------------------------------------------

@hookspec
def vvs_register_settings() -> list[Setting]:
    """Declare the settings a plugin reads.

    Called once at start-up, before settings are checked.
    Returns: a list of ``vvs_core.settings.Setting``. Every ``vvs.*`` key in the
    .ini must be declared by the core or by an enabled plugin, or start-up stops."""


@hookspec
def vvs_register_providers() -> list[ProviderSpec]:
    """Offer providers (SMS, e-mail, geocoder, push, identity…).

    Called once at start-up. Returns: a list of ``vvs_core.hooktypes.ProviderSpec``.
    The .ini chooses one provider per kind by name; its settings are validated and
    its factory called once, and the service registered for ``request.find_service``."""


@hookspec
def vvs_register_notification_kinds() -> list[NotificationKind]:
    """Declare the kinds of notification a plugin sends.

    Called once at start-up. Returns: a list of ``vvs_core.hooktypes.NotificationKind``
    (key, French label, quiet hours or not, always at least one channel, default
    channels). The notification settings page, the quiet hours and the "at least one
    channel" rule read only these; two declarations of one key stop start-up."""


@hookspec
def vvs_register_event_kinds() -> list[EventKind]:
    """Declare the kinds of community event a plugin records (``record_event``).

    Called once at start-up. Returns: a list of ``vvs_core.hooktypes.EventKind``
    (key, French label, public or audit only, optional description of its data).
    Recording an undeclared kind raises ``ValueError``."""


@hookspec
def vvs_register_principals() -> list[PrincipalKind]:
    """Declare the security principals a plugin grants through ``vvs_principals``.

    Called once at start-up. Returns: a list of ``vvs_core.hooktypes.PrincipalKind``
    (pattern such as ``"commune:{insee}:agent"``, French label). A principal that matches no
    declared pattern is not granted (and logged)."""


@hookspec
def vvs_register_validation_modes() -> list[ValidationMode]:
    """Declare ways of deciding who joins a community (validation modes; the core's: "platform", "referent").

    Called once at start-up. Returns: a list of ``vvs_core.hooktypes.ValidationMode`` (key, French
    labels, the principals that decide), read by the community pages, queues and ACLs. A community
    whose stored mode no enabled plugin declares is the platform team's. One key declared twice stops start-up."""


@hookspec
def vvs_register_commands() -> list[Command]:
    """Add sub-commands to the ``vvs`` command line (``vvs demo``).

    Called by ``vvs`` before it reads its arguments, with the plugins enabled by the
    .ini named on the command line (``development.ini`` by default). Returns: a list of
    ``vvs_core.hooktypes.Command``; a name the core or another plugin uses stops the command."""


@hookspec(historic=True)
def vvs_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add the hook specifications of a plugin, for hooks that only plugins call.

    Called once when the plugin manager is built, before any hook is checked (like
    pytest's ``pytest_addhooks``). Call ``pluginmanager.add_hookspecs(module)`` with
    the module of the plugin's own ``@vvs_core.hookspec`` functions. Implementations
    of a hook whose declaring plugin is disabled are never called: mark them
    ``@hookimpl(optionalhook=True)``. Returns nothing."""


@hookspec(historic=True)
def vvs_startup(registry: Registry) -> None:
    """The application is configured.

    Called once after every plugin was included and the configuration committed
    (historic: a plugin registered later is called too).
    registry: the Pyramid registry (``registry.settings``, ``registry.vvs_plugins``).
    Returns nothing."""


# --- Page composition ---------------------------------------------------------

@hookspec
def vvs_menu_items(request: Request) -> list[MenuItem | None] | None:
    """Add entries to the header menu.

    Called on every page render for the current user; the whole menu is cached per user,
    principals and language until the next write to the database (or
    ``vvs.cache_seconds``), so the answer must not depend on the page being shown: check
    permissions against ``RootContext(request)`` or a context you build, not
    ``request.context``.
    request: the current request (``request.user`` may be None).
    Returns: a list of ``MenuItem`` (or None). Only show what the user may open."""


@hookspec
def vvs_footer_links(request: Request) -> list[FooterLink]:
    """Add links to the footer of every page (what the law wants reachable from any page).

    Called on every page render, the anonymous visitor's included: answer without a query.
    Returns: a list of ``FooterLink``, shown after the charter's by ``order`` then label."""


@hookspec
def vvs_principals(request: Request, user: User) -> list[str]:
    """Add security principals to a signed-in user.

    Called once per request by the security policy.
    user: the signed-in ``User``.
    Returns: a list of strings such as ``"commune:77449:agent"`` that ACLs can name."""


@hookspec
def vvs_settings_sections(request: Request) -> list[SettingsSection]:
    """Add pages to « Mes paramètres » (its menu and its overview).

    Called on every settings page for the signed-in user.
    request: the current request (``request.user`` is set).
    Returns: a list of ``SettingsSection`` (route name, title, description, order);
    the page behind the route renders ``vvs_core:accounts/templates/account_nav.pt`` and its view
    answers ``vvs_core.accounts.views.settings_section_page(request, title, **values)``
    (the same menu, this page marked, the pages' style sheet).
    """


@hookspec
def vvs_community_panels(request: Request, community: Community) -> list[Panel]:
    """Add blocks to the community page ("Ma communauté").

    Called when a member opens the page of ``community``.
    Returns: a list of ``Panel``, each with rendered HTML, or with ``read`` (a SQL scalar
    expression, a list through ``vvs_core.web.batch.json_rows``) and ``render`` (value →
    HTML): the page reads every panel's ``read`` and the menu in one statement, which
    keeps the page within its query budget whatever the number of plugins.
    """


@hookspec
def vvs_community_links(request: Request, communities: list[Community], place: str) -> list[CommunityLink]:
    """Add links under communities the signed-in user is an active member of.

    Called once per page for all the communities it shows: answer without a statement
    where you can (the home page runs at most 6), else in one for them all.
    communities: the ``Community`` rows shown. place: ``"home"`` (the cards of the home
    page, cached per user until the next write), ``"community"`` (the community page's
    buttons) or ``"referent"`` (the référent's tools page).
    Returns: a list of ``CommunityLink``, each naming its ``community_id``.
    """


@hookspec
def vvs_home_activity(request: Request, user: User) -> list[ActivityItem]:
    """Recent activity to show on the resident's home page.

    Called when ``user`` opens their home page; the answer is cached per user and language
    until the next write to the database (or ``vvs.cache_seconds``).
    Returns: a list of ``ActivityItem`` (the core sorts them, newest first), or a ``ReadThen``
    (vvs_core.web.batch) whose ``then`` makes that list of its SQL ``read``, read with the page's others.
    """


# --- Lifecycle events ---------------------------------------------------------

@hookspec
def vvs_user_registered(request: Request, user: User) -> None:
    """A resident finished signing up (e-mail not yet confirmed).

    Called inside the sign-up transaction. Returns nothing.
    """


@hookspec
def vvs_membership_requested(request: Request, membership: Membership) -> None:
    """A resident asked to join a community (``membership.status == "pending"``).

    Called inside the request's transaction. Returns nothing.
    """


@hookspec
def vvs_membership_decided(request: Request, membership: Membership) -> None:
    """A membership request was accepted or refused (``membership.status``).

    Called inside the deciding transaction. Returns nothing.
    """


@hookspec
def vvs_community_created(request: Request, community: Community) -> None:
    """A community was created. Returns nothing."""


@hookspec
def vvs_boundary_changed(request: Request, community: Community, old_boundary: Polygon) -> None:
    """A référent (or the platform team) saved a new boundary for ``community``.

    old_boundary: the previous Shapely polygon. Returns nothing.
    """


@hookspec
def vvs_account_closing(request: Request, user: User) -> None:
    """``user`` is closing their account; called before their data is erased.

    Returns nothing.
    """


# --- Validation and verification ----------------------------------------------

@hookspec(firstresult=True)
def vvs_validation_mode_imposed(request: Request, community: Community) -> str | None:
    """Who decides who joins ``community``, when something imposes it.

    Called when a community's validation mode is read or edited.
    Returns: the key of a declared mode (``vvs_register_validation_modes``) to impose it
    (the référent then cannot change it), or None to leave the community's own choice.
    """


@hookspec
def vvs_verification_methods(request: Request, user: User) -> list[VerificationMethod]:
    """Ways ``user`` can prove their address or identity.

    Called on the pending resident's page and by the validation queues.
    Returns: a list of objects with ``name``, ``label``, ``description`` and
    ``url`` (where the resident starts it), and ``status(user)`` giving
    "none", "pending", "passed" or "failed".
    """


@hookspec
def vvs_membership_blockers(request: Request, membership: Membership) -> list[str]:
    """Reasons a pending membership may not be accepted yet.

    Called before a référent, agent or the platform team accepts a request.
    Returns: a list of French sentences (e.g. "Justificatif de domicile non vérifié"),
    empty when nothing blocks.
    """


@hookspec
def vvs_membership_badges(request: Request, memberships: list[Membership]) -> list[MembershipBadge]:
    """Short facts to show on pending membership requests in the validation queues
    (e.g. where the resident's proof of address stands).

    Called once per queue page (the référents', the commune agents', the platform team's) with
    every request it lists: answer for all of them at once (one query, not one each).
    Returns: a list of ``MembershipBadge`` (``membership_id``, French ``label``, ``tone``
    "ok", "pending" or "warning"); none for a request with nothing to say.
    """


# --- Who handles it (firstresult) ---------------------------------------------

@hookspec(firstresult=True)
def vvs_authenticate(request: Request) -> Authenticated | None:
    """Does the request carry a credential other than the session (an API token…)?

    Called once per request by the security policy, before the session is read.
    Returns: None when the request carries no credential of yours (the session
    decides); else ``Authenticated(user)``, ``user`` None when the credential is
    invalid or revoked (the request is then anonymous, the session is not read).
    """


@hookspec(firstresult=True)
def vvs_acting_for(request: Request, user: User) -> User | None:
    """Is ``user`` acting for another account in this session (an agent at the town
    hall's desk, for a resident without a smartphone)?

    Called once per request by the security policy, after ``user``'s session was checked
    (signed in, not expired, not ended). Returns: None, or the account ``user`` acts for:
    the request is then that account's (its pages, its permissions); ``user``'s id is in
    ``request.environ["vvs.acting_by"]``, and the core refuses the pages that change the
    account's credentials (password, e-mail address, closing, personal data archive).
    The plugin that answers decides how long it lasts and records what is done.
    """


@hookspec(firstresult=True)
def vvs_landing_url(request: Request, user: User) -> str | None:
    """Where ``user`` lands after signing in when no page was asked for.

    Called by the login view. Returns: a path (e.g. a dashboard for a commune's
    agent), or None to leave it to another plugin or the resident's home page.
    """


@hookspec(firstresult=True)
def vvs_inbound_sms(request: Request, message: InboundSMS) -> str | None:
    """An SMS reached the service number: who handles it?

    message: an ``InboundSMS``. Returns: a short French reply to send back to the
    sender, or None to let another plugin handle it.
    """


@hookspec
def vvs_voice_keypad_answer(request: Request, answer: KeypadAnswer) -> str | None:
    """A person pressed keys during a call of the outbox (channel "voice").

    Called once per keypad answer the voice provider reports (a replay is not passed
    on), inside the callback's transaction, before the core answers the provider.
    The core has already recorded it on the notification row: "1" confirms (reaction
    ``confirmed``), any other key counts as listened. A plugin whose notification it
    is (``answer.kind``, ``answer.subject_type``, ``answer.subject_id``) reads the
    keys its own way, e.g. a roll-call: "1" safe, "2" needs help.
    answer: a ``KeypadAnswer`` (notification id, kind, subject, recipient, digits,
    provider and its call reference).
    Returns: a short French sentence to say to the person before the call ends, or
    None. Sentences of several plugins are said in turn; with none, the core thanks
    them ("Merci, votre confirmation est enregistrée." for "1").
    """


@hookspec(firstresult=True)
def vvs_render_notification(request: Request, notification: Notification, channel: str) -> dict | None:
    """Render the text of ``notification`` for ``channel`` ("sms", "email", "push", "voice").

    The core's default (``trylast``) renders the stored subject and body.
    Returns: a dict with ``subject``, ``text`` and optionally ``html`` and, for an
    e-mail, ``headers`` (extra header fields such as ``List-Unsubscribe``), or None. For
    "voice", ``text`` is read aloud (the outbox leaves links, emoji and « » out; no SMS length applies) and an optional ``prompt``
    says what the keys do (absent: press 1 to confirm; ``""``: no keypad prompt, e.g. a
    call that reads a code).
    """


# --- GDPR ---------------------------------------------------------------------

@hookspec
def vvs_export_user_data(request: Request, user: User) -> dict:
    """Personal data a plugin holds about ``user``, for "Télécharger mes données".

    Returns: a dict ``{"section name": JSON-serialisable data}`` (bytes, a photo, become a
    file of the ZIP that the JSON names). Every name is written in French snake_case without
    accents (``personal_data.export_key``: ``cree_le``); a value that is a code, in the pages' words
    (``personal_data.in_words(rows, canal=CHANNEL_LABELS, etat=MY_LABELS)``: « E-mail », « réussie »). A list may be given as SQL, not read:
    ``vvs_core.web.batch.json_rows(select(…labelled columns…))`` (a list of dicts) or
    ``ReadThen(expression, then)``. The core reads every such expression of every plugin
    in one statement (``vvs_core.web.batch.resolve_values``), so the archive's cost does not
    grow with the number of tables. Dates come back as datetimes and are written in ISO 8601.
    """


@hookspec
def vvs_erase_user_data(request: Request, user: User) -> None:
    """Erase or anonymise the personal data a plugin holds about ``user``.

    Called when the account is closed, inside that transaction. Returns nothing.
    """


# --- Secrets kept -------------------------------------------------------------------

@hookspec
def vvs_reseal_secrets(dbsession: Session, settings: dict) -> tuple[str, int] | None:
    """Seal again, with the first key of its key setting, every secret the plugin keeps
    sealed at rest (``vvs_core.encryption``), after an operator put a new key first.

    Called by ``vvs reseal INI`` in its own transaction (flush, never commit). Return
    ``(what, count)``: what was re-sealed, in English (« agents' TOTP secrets »)
    and how many; or None when the plugin keeps no such secret. Once every plugin has
    answered, the old keys can leave the settings.
    """
