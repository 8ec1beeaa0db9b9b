"""Page assets, one way (docs/architecture.md, "Page assets"): a page's style sheets and
scripts are in its view's answer (``extra_css``, ``extra_js``), which the layout links;
no template links its own, no BeforeRender subscriber adds any."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("vvs_core/**/*.py"), *ROOT.glob("plugins/*/**/*.py")]
TEMPLATES = [*ROOT.glob("vvs_core/**/*.pt"), *ROOT.glob("plugins/*/**/*.pt")]
# the layout links what views name; the offline page is served by the service worker, without the layout
OWN_HEAD = {"vvs_core/web/templates/layout.pt", "vvs_core/web/templates/offline.pt"}


def test_no_template_links_its_own_assets():
    linking = re.compile(r'<link\b[^>]*rel="stylesheet"|<script\b[^>]*\bsrc=|fill-slot="(head|scripts)"')
    found = [str(p.relative_to(ROOT)) for p in TEMPLATES
             if str(p.relative_to(ROOT)) not in OWN_HEAD and linking.search(p.read_text(encoding="utf-8"))]
    assert found == [], f"these templates link assets: name them in the view's extra_css/extra_js: {found}"


def test_no_subscriber_adds_assets():
    adding = re.compile(r'event\[["\']extra_(css|js)["\']\]|event\.setdefault\(["\']extra_(css|js)')
    found = [str(p.relative_to(ROOT)) for p in SOURCES if adding.search(p.read_text(encoding="utf-8"))]
    assert found == [], f"assets added by a BeforeRender subscriber: {found}"


def test_pages_link_the_assets_their_views_name(testapp, make_user, make_community):
    alice = make_user(first_name="Alice")
    community = make_community("Les Tilleuls", members=[alice])
    testapp.login(alice)
    for path, asset in (("/parametres", "css/resident.css"), ("/parametres/compte", "css/resident.css"),
                        ("/parametres/mes-donnees", "css/resident.css"), ("/profil", "css/resident.css"),
                        (f"/gazette/communaute/{community.id}", "gazette.css"),
                        (f"/gazette/communaute/{community.id}/ajouter", "gazette.css"),
                        ("/messagerie", "messaging.css"), ("/messagerie/nouveau", "messaging.css")):
        page = testapp.get(path)
        links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
        assert any(asset in href for href in links), (path, links)
