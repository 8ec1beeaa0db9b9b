"""A commune big enough to show a query inside a loop: the demo of Serris, then, with bulk
inserts, 300 more members in Le Bourg (a third with a photo), 30 pending requests, 30 more
communities with their members, 20 more communes with boundaries, 50 conversations of the
référent, 60 alerts, 60 gazette posts with replies, a twinning, reports in every
moderation queue, and the demo agent enrolled with a second factor.

Used by the query-budget test; loaded in one transaction that the test rolls back.
"""
from __future__ import annotations

import os

import pyotp
from dataclasses import dataclass, field
from datetime import timedelta

from shapely.geometry import Point, box
from sqlalchemy import insert, select

from vvs_demo import loader as demo
from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.models import Commune, Community, CommunityEvent, Membership, Notification, NotificationContent, User

MEMBERS = 300
PENDING = 30
COMMUNITIES = 30
CONVERSATIONS = 50
ALERTS = 60
POSTS = 60
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(64)


@dataclass
class World:
    ids: dict = field(default_factory=dict)       # route placeholder → value
    emails: dict = field(default_factory=dict)    # role → login e-mail
    totp_secret: str = ""


def _l93_box(centre, east, north, side):
    c = geo.to_l93(Point(centre))
    x, y = c.x + east, c.y + north
    return geo.from_l93(box(x, y, x + side, y + side))


def build(dbsession, registry) -> World:
    from vvs_mairie.models import MairieAlert, MairieCommunication
    from vvs_mairie.models import MairieAgent
    from vvs_mairie.twofactor import confirm_enrolment, seal

    settings = registry.settings
    demo.load_demo(dbsession, settings, registry.vvs_plugins)
    now = utcnow()
    serris = dbsession.scalar(select(Commune).where(Commune.insee == demo.SERRIS.insee))
    serris.boundary = _l93_box(demo.SERRIS.centre, -5000, -5000, 10000)
    bourg = dbsession.scalar(select(Community).where(Community.name == "Le Bourg"))
    email = {role: demo.login_email(key) for role, key in
             (("resident", "resident"), ("referent", "referent"), ("agent", "agent"),
              ("moderator", "moderateur"), ("admin", "admin"))}
    users = dict(dbsession.execute(select(User.email, User.id)).all())
    me = {role: users[address] for role, address in email.items()}
    password_hash = dbsession.scalar(select(User.password_hash).where(User.id == me["resident"]))

    # Other communes around, each with a boundary (the sign-up looks the commune up).
    dbsession.execute(insert(Commune), [
        dict(insee=f"77{900 + n}", name=f"Commune voisine {n} — Saint-Œillet", postcodes=["77700"],
             centre=Point(3.2 + 0.1 * n, 48.5), boundary=_l93_box((3.2 + 0.1 * n, 48.5), -3000, -3000, 6000))
        for n in range(20)])

    # 300 members of Le Bourg, 30 pending requests.
    homes = demo.homes_inside(bourg.boundary, MEMBERS + PENDING, "scale")
    rows = [dict(email=f"voisin{n}@scale.test", password_hash=password_hash, first_name=f"Éloïse{n}",
                 last_name=f"Lefèvre-Ça{n}", pseudonym=f"voisine{n} 🌻", mobile=f"+3363998{5000 + n}",
                 hide_mobile=n % 4 == 0, home=homes[n], address_label=f"{n} rue de Lagny, 77700 Serris",
                 photo=PNG if n % 3 == 0 else None, email_confirmed_at=now, created_at=now - timedelta(days=n))
            for n in range(MEMBERS + PENDING)]
    dbsession.execute(insert(User), rows)
    new_ids = [uid for e, uid in dbsession.execute(
        select(User.email, User.id).where(User.email.like("voisin%@scale.test")).order_by(User.id))]
    memberships = [dict(user_id=uid, community_id=bourg.id, role="member", status="active",
                        requested_at=now - timedelta(days=n), decided_at=now - timedelta(days=n))
                   for n, uid in enumerate(new_ids[:MEMBERS])]
    memberships += [dict(user_id=uid, community_id=bourg.id, role="member", status="pending", requested_at=now)
                    for uid in new_ids[MEMBERS:]]
    dbsession.execute(insert(Membership), memberships)
    dbsession.execute(insert(CommunityEvent), [
        dict(community_id=bourg.id, actor_id=uid, subject_user_id=uid, kind="member_joined", data={"role": "member"},
             public=True, created_at=now - timedelta(days=n)) for n, uid in enumerate(new_ids[:MEMBERS])])
    members = new_ids[:MEMBERS]

    # 30 more communities in Serris (a row of squares east of the demo), 5 members each.
    extra = []
    for n in range(COMMUNITIES):
        community = Community(commune_id=serris.id, name=f"Hameau n°{n} « Les Prés »",
                              boundary=_l93_box(demo.SERRIS.centre, 1500 + 350 * (n % 10), 350 * (n // 10), 300),
                              validation_mode="referent", created_at=now, boundary_changed_at=now)
        dbsession.add(community)
        extra.append(community)
    dbsession.flush()
    hamlet_rows = [dict(email=f"hameau{c}-{k}@scale.test", password_hash=password_hash, first_name="Noé",
                        last_name=f"Hameau{c}", pseudonym=f"noe{c}{k}", created_at=now)
                   for c in range(COMMUNITIES) for k in range(5)]
    dbsession.execute(insert(User), hamlet_rows)
    hamlet_ids = [uid for uid in dbsession.scalars(
        select(User.id).where(User.email.like("hameau%@scale.test")).order_by(User.id))]
    dbsession.execute(insert(Membership), [
        dict(user_id=uid, community_id=extra[i // 5].id, role="referent" if i % 5 == 0 else "member",
             status="active", requested_at=now) for i, uid in enumerate(hamlet_ids)])

    # Conversations of the référent with 50 members, the resident in the first one.
    from vvs_messaging.models import Conversation, Message, MessageReport, Participant

    dbsession.execute(insert(Conversation), [
        dict(subject=f"Échange n°{n} — « haie »", created_by_id=me["referent"], created_at=now - timedelta(hours=n),
             last_message_at=now - timedelta(hours=n)) for n in range(CONVERSATIONS)])
    conv_ids = list(dbsession.scalars(select(Conversation.id).order_by(Conversation.id)))[-CONVERSATIONS:]
    participants, messages = [], []
    for n, cid in enumerate(conv_ids):
        other = me["resident"] if n == 0 else members[n]
        participants += [dict(conversation_id=cid, user_id=me["referent"]), dict(conversation_id=cid, user_id=other)]
        messages += [dict(conversation_id=cid, sender_id=sender, text=f"Bonjour 👋 n°{k}", created_at=now - timedelta(hours=n, minutes=k))
                     for k, sender in enumerate((me["referent"], other, other))]
    dbsession.execute(insert(Participant), participants)
    dbsession.execute(insert(Message), messages)
    first_message = dbsession.scalar(select(Message.id).where(Message.conversation_id == conv_ids[0]).order_by(Message.id))
    reported = list(dbsession.scalars(select(Message.id).where(Message.conversation_id.in_(conv_ids[1:11]))))
    dbsession.execute(insert(MessageReport), [dict(message_id=mid, reporter_id=me["referent"], reason="insulte",
                                                   created_at=now) for mid in reported])

    # Alerts in Le Bourg by many authors, with follow-ups and reports.
    from vvs_alerts.models import Alert, AlertReport, AlertUpdate

    dbsession.execute(insert(Alert), [
        dict(community_id=bourg.id, commune_id=serris.id, author_id=members[n], category="cambriolage",
             text=f"Cambriolage rue de Lagny n°{n} — « fenêtre forcée »", place=homes[n], severity="moderate",
             created_at=now - timedelta(hours=n), published_at=now - timedelta(hours=n),
             expires_at=now + timedelta(days=2), status="held" if n % 10 == 9 else "published",
             idempotency_key=f"scale-{n}", source="web") for n in range(ALERTS)])
    alert_ids = list(dbsession.scalars(select(Alert.id).where(Alert.idempotency_key.like("scale-%")).order_by(Alert.id)))
    dbsession.execute(insert(AlertUpdate), [dict(alert_id=a, author_id=members[0], kind="update", text="Suite",
                                                 created_at=now) for a in alert_ids])
    dbsession.execute(insert(AlertReport), [dict(alert_id=a, reporter_id=members[k], reason="faux", created_at=now,
                                                 handled=False) for k, a in enumerate(alert_ids[:20])])

    # Gazette posts with replies and reports.
    from vvs_gazette.models import GazettePost, GazetteReply, GazetteReport

    dbsession.execute(insert(GazettePost), [
        dict(community_id=bourg.id, author_id=members[n], category="annonce", title=f"Vends vélo n°{n} « bon état »",
             text="Très bon état, à venir chercher. 🚲", photo_count=0, hidden=False, created_at=now - timedelta(hours=n))
        for n in range(POSTS)])
    post_ids = list(dbsession.scalars(select(GazettePost.id).where(GazettePost.community_id == bourg.id)
                                      .order_by(GazettePost.id)))
    dbsession.execute(insert(GazetteReply), [dict(post_id=p, author_id=members[k], text="Intéressée !", created_at=now)
                                             for p in post_ids for k in range(3)])
    dbsession.execute(insert(GazetteReport), [dict(community_id=bourg.id, post_id=p, reporter_id=members[1],
                                                   reason="hors sujet", created_at=now) for p in post_ids[:20]])

    # Le Bourg twinned with the first hamlet.
    from vvs_twinning.models import Twinning

    dbsession.add(Twinning(community_a_id=bourg.id, community_b_id=extra[0].id, proposed_by_id=me["referent"],
                           status="active", decided_at=now))

    # The mairie: the demo agent with a second factor, alerts and communications.
    agent = dbsession.scalar(select(MairieAgent).where(MairieAgent.user_id == me["agent"]))
    secret = pyotp.random_base32()
    agent.totp_secret = seal(settings, secret)
    confirm_enrolment(dbsession, agent)
    dbsession.execute(insert(MairieAlert), [
        dict(commune_id=serris.id, author_id=me["agent"], kind="alert", category="travaux",
             title=f"Travaux n°{n}", body="Rue barrée", target="commune", community_ids=[], created_at=now)
        for n in range(20)])
    dbsession.execute(insert(MairieCommunication), [
        dict(commune_id=serris.id, author_id=me["agent"], title=f"Info n°{n}", text="Collecte décalée", created_at=now)
        for n in range(20)])

    # Notifications of the resident (the API lists them).
    text = NotificationContent(title="Alerte", body="…", created_at=now)  # one text for the 40 rows, as a fan-out
    dbsession.add(text)
    dbsession.flush()
    dbsession.execute(insert(Notification), [
        dict(dedupe_key=f"scale-{n}", kind="alert", subject_type="alert", subject_id=alert_ids[0],
             recipient_id=me["resident"], channel="email", address="resident@serris.demo", content_id=text.id,
             status="sent", created_at=now, next_attempt_at=now) for n in range(40)])
    dbsession.flush()

    mairie_alert = dbsession.scalar(select(MairieAlert.id).where(MairieAlert.commune_id == serris.id).order_by(MairieAlert.id))
    world = World(emails=email, totp_secret=secret)
    world.ids = {
        "community_id": bourg.id, "user_id": members[0], "alert_id": alert_ids[0], "post_id": post_ids[0],
        "conversation_id": conv_ids[0], "message_id": first_message, "insee": serris.insee,
        "month": f"{now:%Y-%m}", "position": 1, "mairie_alert_id": mairie_alert,
        # The providers' callbacks (an unknown token: the page refuses, its cost still counts).
        "provider": "ovh",
    }
    world.ids["check_id"] = _kyc_check(dbsession, members[1], bourg.id)
    world.ids["relay_id"] = _official_warnings(dbsession, serris.id, now)
    world.ids["crisis_id"] = _pcs_crisis(dbsession, serris.id, now)
    world.ids["entry_id"], world.ids["list_id"] = _vulnerable_register(dbsession, registry, serris.id, members)
    world.ids["rollcall_id"] = _rollcall(dbsession, serris.id, bourg.id, members)
    return world


def _rollcall(dbsession, commune_id, community_id, members) -> int:
    """vvs_rollcall: an open roll-call of the commune asking every member (a third answered); its id."""
    from vvs_rollcall.models import RollCall, RollCallPerson

    call = RollCall(commune_id=commune_id, target="commune", message="Êtes-vous en sécurité ?", waves=[])
    dbsession.add(call)
    dbsession.flush()
    dbsession.add_all([RollCallPerson(rollcall_id=call.id, user_id=uid, community_id=community_id,
                                      answer="safe" if n % 3 == 0 else None) for n, uid in enumerate(members)])
    dbsession.flush()
    return call.id


def _vulnerable_register(dbsession, registry, commune_id, members) -> tuple[int, int]:
    """vvs_vulnerable: 150 sealed entries in Serris' register, all on a list of people to reach
    first (a roll-call's); the first entry's id and the list's."""
    from vvs_vulnerable.models import VulnerableEntry, VulnerablePriorityList
    from vvs_vulnerable.sealing import seal

    entries = [VulnerableEntry(commune_id=commune_id, user_id=members[n % len(members)], origin="self", status="active",
                               sealed=seal(registry.settings, {"name": f"Personne {n}", "address": f"{n} rue du Parc",
                                                               "phone": "+33639980001", "situations": ["age65"]}))
               for n in range(150)]
    dbsession.add_all(entries)
    dbsession.flush()
    first = VulnerablePriorityList(commune_id=commune_id, reason="Appel « Êtes-vous en sécurité ? » : sans réponse",
                                   entry_ids=[e.id for e in entries])
    dbsession.add(first)
    dbsession.flush()
    return entries[0].id, first.id


def _pcs_crisis(dbsession, commune_id, now) -> int:
    """vvs_pcs: a cell of twelve, eight prepared messages, an open crisis with a main
    courante of 300 lines and 30 closed crises; the open crisis' id."""
    from vvs_pcs.models import PcsCellMember, PcsCrisis, PcsLogEntry, PcsTemplate

    dbsession.add_all([PcsCellMember(commune_id=commune_id, name=f"Membre {n}", function="Élu",
                                     phone=f"+336399899{n:02d}", email=f"cellule{n}@serris.demo") for n in range(12)])
    dbsession.add_all([PcsTemplate(commune_id=commune_id, title=f"Message préparé {n}", body="Restez chez vous.")
                       for n in range(8)])
    closed = [PcsCrisis(commune_id=commune_id, title=f"Crise {n}", exercise=n % 2 == 0, alert_ids=[],
                        started_at=now - timedelta(days=30 + n), ended_at=now - timedelta(days=29 + n))
              for n in range(30)]
    crisis = PcsCrisis(commune_id=commune_id, title="Crue de la Marne", exercise=False, alert_ids=[],
                       started_at=now - timedelta(hours=6))
    dbsession.add_all([*closed, crisis])
    dbsession.flush()
    dbsession.add_all([PcsLogEntry(crisis_id=crisis.id, at=now - timedelta(minutes=300 - n), author_name="Agent",
                                   kind="note", text=f"Point de situation n° {n}") for n in range(300)])
    dbsession.flush()
    return crisis.id


def _official_warnings(dbsession, commune_id, now) -> int:
    """vvs_warnings: ten drafts waiting on the mairie's dashboard; the first one's id."""
    from vvs_warnings.models import OfficialWarning, WarningRelay

    warnings = [OfficialWarning(key=f"vigilance@meteo.fr,scale-{n}", feed_url="http://127.0.0.1/feed.atom",
                                source_name="Météo-France (MeteoAlarm)", event="Orages", severity="Severe",
                                departements=["77"], expires=now + timedelta(hours=12)) for n in range(10)]
    dbsession.add_all(warnings)
    dbsession.flush()
    relays = [WarningRelay(warning_id=w.id, commune_id=commune_id, state="draft", title="Vigilance orange : Orages",
                           body="Orages forts.", whole_commune=True, alert_url="") for w in warnings]
    dbsession.add_all(relays)
    dbsession.flush()
    return relays[0].id


def _kyc_check(dbsession, user_id, community_id) -> int:
    from vvs_kyc.models import KycCheck

    check = KycCheck(user_id=user_id, community_id=community_id, method="document", status="pending")
    dbsession.add(check)
    dbsession.flush()
    return check.id
