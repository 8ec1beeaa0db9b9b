"""Walk of the staff, items 4 and 18, on a 360 px phone: the administrator archives a community
with a reason; its member is told by e-mail (the reason, the link to choose another
community), finds on her home page why she is no longer a member and « Choisir ma
communauté », and the chooser says her home is inside the community around it (not
« limitrophe »). The archived community's edit page refuses, in French."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from journey import community_with_members
from mail_wait import wait_for_mail
from phones import open_page

pytestmark = pytest.mark.browser

ADMIN = "admin@serris.demo"
PHONE = {"width": 360, "height": 780}
MEMBER = "ines.archive@charmettes.test"
REASON = "Doublon de « Le Bourg » créé par erreur — désolés ’ 🙏"


@pytest.fixture
def doomed_community(e2e_db):
    """A community of its own, whose member Inès lives (her home) in the demo's first community."""
    from vvs_core.models import Community, User

    people = [("gerald.archive@charmettes.test", "Gérald", "Référent", "1 allée des Charmettes"),
              (MEMBER, "Inès", "Çelik-d’Ormesson", "2 allée des Charmettes")]
    community_id = community_with_members(e2e_db, "99046", "Sainte-Æthel-d’Orée", "Les Charmettes « Nord »",
                                          (4.30, 45.30), people)
    with e2e_db() as db:
        demo = db.scalar(select(Community).where(Community.commune.has(insee="77449")).order_by(Community.id))
        db.scalar(select(User).where(User.email == MEMBER)).home = demo.boundary.representative_point()
        db.commit()
        return community_id, demo.name


def test_archive_tells_the_member_who_finds_her_next_step(browser, live_server, login, shot, mails,
                                                          doomed_community):
    community_id, demo_name = doomed_community
    context, admin = open_page(browser, live_server, viewport=PHONE, timeout=20000, timezone_id="Europe/Paris")
    login(admin, ADMIN)
    admin.goto(f"/admin/communautes/{community_id}/archivage")
    expect(admin.get_by_text("recevront un e-mail")).to_be_visible()
    admin.get_by_label("Motif (gardé dans le journal)").fill(REASON)
    admin.get_by_role("button", name="Archiver définitivement").click()
    expect(admin.locator(".flash").first).to_contain_text("prévenus par e-mail")
    shot(admin, "archive-done-360")
    admin.goto(f"/communaute/{community_id}/modifier")
    expect(admin.get_by_role("heading", name="Communauté archivée")).to_be_visible()
    admin.goto(f"/communaute/{community_id}")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Communauté « Les Charmettes « Nord » » archivée")
    context.close()

    wait_for_mail(mails, MEMBER, "est archivée", "/inscription/communaute")

    context, pg = open_page(browser, live_server, viewport=PHONE, timeout=20000, timezone_id="Europe/Paris")
    login(pg, MEMBER)
    pg.goto("/")
    card = pg.locator("[aria-labelledby=h-communaute]")
    expect(card).to_contain_text("La communauté « Les Charmettes « Nord » » a été archivée : vous n’en êtes plus membre.")
    expect(card).to_contain_text(REASON)
    scroll, width = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= width
    shot(pg, "archive-member-home-360")
    pg.get_by_role("link", name="Choisir ma communauté").click()
    pg.wait_for_url("**/inscription/communaute")
    row = pg.locator("ul.community-list li", has_text=demo_name).first
    expect(row).to_contain_text("votre domicile s’y trouve")
    expect(row).not_to_contain_text("limitrophe")
    shot(pg, "archive-member-chooser-360")
    context.close()
