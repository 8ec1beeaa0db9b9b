"""Fixtures of the vvs_kyc tests: a private storage folder and key, a small world."""
import io
import re

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from shapely.geometry import Point

from vvs_core.models import Commune, Membership
from vvs_core.testing import DEMO_PASSWORD, SERRIS

CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(DEMO_PASSWORD)


@pytest.fixture
def kyc_dir(app_registry, tmp_path, monkeypatch):
    folder = tmp_path / "kyc"
    monkeypatch.setitem(app_registry.settings, "vvs.kyc.storage_dir", str(folder))
    monkeypatch.setitem(app_registry.settings, "vvs.kyc.encryption_key", Fernet.generate_key().decode())
    folder.mkdir()
    return folder


@pytest.fixture
def world(dbsession, make_user, make_community, commune, kyc_dir):
    """Le Bourg (platform mode) with a pending resident, a member and a référent; a
    community elsewhere with its référent; an admin."""
    users = {name: make_user() for name in
             ("resident", "neighbour", "referent", "other_referent", "admin", "agent")}
    for user in users.values():
        user.password_hash = CHEAP_HASH
    users["admin"].is_admin = True
    users["resident"].home = Point(*SERRIS)
    users["resident"].address_label = "1 rue de Lagny, 77700 Serris"
    bourg = make_community("Le Bourg", members=[users["neighbour"]], referents=[users["referent"]],
                           validation_mode="platform")
    other = make_community("Ailleurs", centre=(2.80, 48.85), referents=[users["other_referent"]])
    pending = Membership(user_id=users["resident"].id, community_id=bourg.id, status="pending")
    dbsession.add(pending)
    dbsession.flush()
    return {**users, "bourg": bourg, "other": other, "membership": pending}


def sign_in(testapp, user):
    testapp.reset()
    testapp.wsgi.registry["vvs.ratelimit_store"] = None  # several sign-ins from one address in one test
    testapp.login(user)


def csrf(testapp) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/charte").text).group(1)


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def pdf_bytes(pages=1, text="Facture EDF 1 rue de Lagny 77700 Serris") -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pageCompression=0)
    for _ in range(pages):
        c.drawString(72, 720, text)
        c.showPage()
    c.save()
    return out.getvalue()


def upload(testapp, filename, data, status="*"):
    return testapp.post("/kyc/justificatif", {"csrf_token": csrf(testapp)},
                        upload_files=[("document", filename, data)], status=status)


@pytest.fixture
def other_commune(dbsession):
    c = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.76, 48.87))
    dbsession.add(c)
    dbsession.flush()
    return c
