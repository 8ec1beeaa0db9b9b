"""What the seed journeys (tests/e2e/test_journey_*.py) check the way a resident would:
the hour of an action as read in Paris, the links of an e-mail, the text of an SMS.

- ``ActionTime``: ``with ActionTime() as done: <click>`` notes the minutes the action may
  have happened in (Paris time); ``Hours.check(text, done, where)`` then checks that every
  hour shown next to it is one of them (a page showing UTC, one hour off in winter and two
  in summer, fails). The journey goes on and ``Hours.verify()``, at its end, lists every
  page that showed a wrong hour.
- ``links(message)``: the links of an e-mail (text part), to open them in the browser.
- ``sms_for(sms, url)``: the SMS that carry a link.
- ``add_resident(e2e_db, email, …)``: a resident written straight into the database.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from vvs_core.testing import DEMO_PASSWORD, mail_text, wait_for

PARIS = ZoneInfo("Europe/Paris")
HOUR = re.compile(r"\b([01]?\d|2[0-3])[:h]([0-5]\d)\b")
LINK = re.compile(r"https?://[^\s<>\"')]+")


class ActionTime:
    """The minutes, in Paris, between entering and leaving the ``with`` block."""

    def __enter__(self):
        self.start = datetime.now(timezone.utc)
        return self

    def __exit__(self, *exc):
        self.end = datetime.now(timezone.utc)
        return False

    @property
    def hours(self) -> set[str]:
        """« 23:30 » for every minute of the block, in Paris (one more at each end: the
        server's clock and this one may be a moment apart)."""
        out, t = set(), (self.start - timedelta(minutes=1)).replace(second=0, microsecond=0)
        while t <= self.end + timedelta(minutes=1):
            out.add(t.astimezone(PARIS).strftime("%H:%M"))
            t += timedelta(minutes=1)
        return out


def hours_in(text: str) -> list[str]:
    return [f"{int(h):02d}:{m}" for h, m in HOUR.findall(text)]


class Hours:
    """The hours a journey read, checked against the actions' hours in Paris."""

    def __init__(self):
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, text: str, done: ActionTime, where: str) -> None:
        """``text`` shows at least one hour and every hour it shows is the action's, in Paris."""
        shown = hours_in(text)
        self.checked.append(where)
        if not shown:
            self.problems.append(f"{where}: no hour shown in {text[:200]!r}")
        elif any(h not in done.hours for h in shown):
            self.problems.append(f"{where}: {shown} shown, the action was at {sorted(done.hours)} in Paris: {text[:200]!r}")

    def expect(self, ok: bool, where: str, problem: str) -> None:
        """A check that is not a text (a feed, a file): ``problem`` is kept when not ``ok``."""
        self.checked.append(where)
        if not ok:
            self.problems.append(f"{where}: {problem}")

    def verify(self) -> None:
        assert not self.problems, "Wrong hours:\n" + "\n".join(self.problems)


def links(message) -> list[str]:
    return LINK.findall(mail_text(message))


def mail_to(mails, address: str, containing: str = "", timeout: float = 30):
    """The last e-mail to ``address`` whose text contains ``containing`` (waits for it)."""
    def find():
        found = [m for m in mails() if address in (m["To"] or "") and containing in mail_text(m)]
        return found[-1] if found else None

    message = wait_for(find, timeout=timeout)
    assert message is not None, f"no e-mail to {address} containing {containing!r}: " + \
        repr([(m["To"], m["Subject"]) for m in mails()][-8:])
    return message


# --- Sign-up (INSCRIPTION), shared by the journeys that need a new resident ----------

SIGNUP_PASSWORD = "trois chats sur le toit de l’église"


def home_at(east_m: float, north_m: float) -> tuple[float, float]:
    """A point ``east_m``/``north_m`` metres from the demo commune's centre, as (lon, lat)."""
    from shapely.geometry import Point

    from vvs_core import geo
    from vvs_demo.loader import SERRIS

    centre = geo.to_l93(Point(SERRIS.centre))
    p = geo.from_l93(Point(centre.x + east_m, centre.y + north_m))
    return round(p.x, 6), round(p.y, 6)


def submit(page, label, within=None):
    with page.expect_navigation():
        (within or page).get_by_role("button", name=label).click()


def choose_serris(page):
    """With a second commune on the server (another test's administrator created one), step 1
    first asks for the commune, as it asks any resident of a multi-commune instance: a search,
    the matches as links."""
    from playwright.sync_api import expect

    if page.locator("#commune-q").count():
        page.get_by_label("Votre commune : nom ou code postal").fill("serris")
        page.keyboard.press("Enter")
        page.locator("#commune-matches a", has_text="Serris (77)").click()
        expect(page.locator(".chosen-commune")).to_contain_text("Serris (77) — 77700")


def sign_up(page, email, home, first_name, last_name, pseudonym, address="12 rue de Lagny", shot=None, name=""):
    """The seeds' four steps: address and e-mail, the marker on the home, its confirmation,
    the short form. Ends on the « Choisir ma communauté » step."""
    page.goto("/inscription")
    choose_serris(page)
    page.get_by_label("Adresse postale").fill(address)
    page.get_by_label("Adresse e-mail").fill(email)
    submit(page, "Continuer")
    page.wait_for_selector("#signup-map.leaflet-container")
    # The address was not found (no geocoder here): the resident places the marker.
    page.get_by_text("Coordonnées du marqueur").click()
    page.get_by_label("Longitude").fill(str(home[0]))
    page.get_by_label("Latitude").fill(str(home[1]))
    page.get_by_label("Latitude").press("Tab")  # the marker follows the typed coordinates
    page.get_by_role("button", name="↑ Nord").click()  # the buttons move it by a few metres
    page.get_by_role("button", name="↓ Sud").click()
    if shot:
        shot(page, f"journey-inscription-{name}-1-carte")
    submit(page, "Valider la position de mon domicile")
    submit(page, "Confirmer la position")
    page.get_by_label("Prénom").fill(first_name)
    page.get_by_label("Nom", exact=True).fill(last_name)
    page.get_by_label("Mot de passe", exact=True).fill(SIGNUP_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(SIGNUP_PASSWORD)
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Pseudonyme").fill(pseudonym)
    page.get_by_label("J'ai lu et j'accepte la charte de bonne conduite").check()
    if shot:
        shot(page, f"journey-inscription-{name}-2-formulaire")
    submit(page, "Créer mon compte")
    assert page.url.endswith("/inscription/communaute"), (page.url, page.get_by_role("alert").all_inner_texts())


def sign_in_here(page, email: str, password: str | None = None):
    """Sign in on the sign-in page a link led to (it goes back where the link pointed)."""
    from vvs_core.testing import DEMO_PASSWORD

    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password or DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def add_resident(e2e_db, email: str, first_name: str, last_name: str, address_label: str) -> int:
    """A confirmed resident (password DEMO_PASSWORD), active member of the first community: their id."""
    from sqlalchemy import select

    from vvs_core.accounts.security import hash_password
    from vvs_core.clock import utcnow
    from vvs_core.models import Community, Membership, User

    with e2e_db() as s:
        community = s.execute(select(Community).order_by(Community.id).limit(1)).scalar_one()
        user = User(email=email, password_hash=hash_password(DEMO_PASSWORD), first_name=first_name,
                    last_name=last_name, pseudonym=first_name, address_label=address_label,
                    home=community.boundary.representative_point(), email_confirmed_at=utcnow())
        s.add(user)
        s.flush()
        s.add(Membership(user_id=user.id, community_id=community.id, status="active", requested_at=utcnow(),
                         decided_at=utcnow()))
        s.commit()
        return user.id


def community_with_members(e2e_db, insee: str, commune_name: str, community_name: str, centre: tuple[float, float],
                           people) -> int:
    """A commune and a community of its own (the demo's stay as they are), once per database:
    its active members ``people`` as (e-mail, first name, last name, address), the first the
    référent, each with the demo resident's password. Returns the community's id."""
    import sqlalchemy as sa
    from shapely.geometry import Point, box

    from vvs_core.models import Commune, Community, Membership, User

    with e2e_db() as db:
        password_hash = db.scalar(sa.select(User.password_hash).where(User.email == "resident@serris.demo"))
        commune = db.scalar(sa.select(Commune).where(Commune.insee == insee))
        if commune is None:
            commune = Commune(insee=insee, name=commune_name, postcodes=[insee], centre=Point(*centre))
            db.add(commune)
            db.flush()
            x, y = centre
            community = Community(commune_id=commune.id, name=community_name, boundary=box(x - 0.001, y - 0.001, x + 0.001, y + 0.001))
            db.add(community)
            db.flush()
            for n, (email, first, last, address) in enumerate(people):
                user = User(email=email, password_hash=password_hash, first_name=first, last_name=last,
                            address_label=address, email_confirmed_at=sa.func.now())
                db.add(user)
                db.flush()
                db.add(Membership(user_id=user.id, community_id=community.id, status="active",
                                  role="referent" if n == 0 else "member"))
            db.commit()
        return db.scalar(sa.select(Community.id).where(Community.commune_id == commune.id))
