"""Browser: the map of the mairie's dashboard with 150 communities (the national
benchmark's commune) stays readable on a 360 px phone and on a 1280 px screen. The
names shown on the map never overlap (the others show on hover or tap, and more of
them as one zooms in); every name stays reachable as text, with the keyboard alone,
through the table of communities the map points to."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from phones import browsing

pytestmark = pytest.mark.browser

PREFIX = "Quartier « Zélie »"
ROWS, COLUMNS = 12, 13   # 156 cells, 150 communities: 300 m squares on a 350 m grid, as bench/national.py


@pytest.fixture
def crowded_commune(demo_agent, e2e_db):
    """150 more communities in the demo commune (Serris), north-east of the demo's own (not on
    top of them), with long French names; removed after."""
    import sqlalchemy as sa
    from shapely.geometry import box

    from vvs_core.models import Commune, Community

    step_lon, step_lat, side_lon, side_lat = 0.0048, 0.00315, 0.0041, 0.0027
    with e2e_db() as session:
        commune = session.scalar(sa.select(Commune).where(Commune.insee == "77449"))
        for n in range(150):
            x, y = 2.81 + (n % COLUMNS) * step_lon, 48.86 + (n // COLUMNS) * step_lat
            session.add(Community(commune_id=commune.id, name=f"{PREFIX} n° {n:03d} — l’Église-Saint-Côme",
                                  boundary=box(x, y, x + side_lon, y + side_lat)))
        session.commit()
    yield
    with e2e_db() as session:
        session.execute(sa.delete(Community).where(Community.name.like(PREFIX + "%")))
        session.commit()


DEMO = ("Le Bourg", "Rue Émile Cloud", "Quartier du Parc", "Val d'Europe", "Les Charmettes")


@pytest.fixture
def demo_communities_alone(demo_agent, e2e_db):
    """The demo commune with its five communities alone on the map: those other browser tests
    of this database added (kilometres away: the map then zooms out and hides names that
    would overlap, as it should) are archived for the test, then brought back."""
    import sqlalchemy as sa

    from vvs_core.clock import utcnow
    from vvs_core.models import Commune, Community

    with e2e_db() as session:
        commune_id = session.scalar(sa.select(Commune.id).where(Commune.insee == "77449"))
        others = list(session.scalars(sa.select(Community.id).where(
            Community.commune_id == commune_id, Community.archived_at.is_(None), Community.name.not_in(DEMO))))
        session.execute(sa.update(Community).where(Community.id.in_(others)).values(archived_at=utcnow()))
        session.commit()
    yield
    with e2e_db() as session:
        session.execute(sa.update(Community).where(Community.id.in_(others)).values(archived_at=None))
        session.commit()


LABELS = """() => Array.from(document.querySelectorAll('#mairie-map .map-label')).map(e => {
    const r = e.getBoundingClientRect(), style = getComputedStyle(e);
    return {text: e.textContent, visible: style.visibility === 'visible' && r.width > 0,
            left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""


def shown_labels(page) -> list[dict]:
    """The labels visible on the map; fails if two of them overlap."""
    labels = [lab for lab in page.evaluate(LABELS) if lab["visible"]]
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            overlap = not (a["right"] <= b["left"] or b["right"] <= a["left"]
                           or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])
            assert not overlap, f"« {a['text']} » overlaps « {b['text']} »"
    return labels


def map_shot(page, shot, name: str):
    """The whole page, and the map alone next to it (readable at a glance)."""
    path = shot(page, name)
    page.locator("#mairie-map").screenshot(path=str(path.with_name(name + "-map.png")))


def check_map(page, shot, name: str):
    page.goto("/mairie/77449")
    labels = page.locator("#mairie-map .map-label")
    expect(labels.filter(has_text=PREFIX)).to_have_count(150)
    page.locator("#mairie-map").scroll_into_view_if_needed()
    shown = shown_labels(page)
    assert len(shown) < 150
    map_shot(page, shot, f"mairie-map-150-{name}")

    # A hidden name shows while its community is hovered.
    hidden = page.locator("#mairie-map .map-label.map-label-off").filter(has_text=PREFIX)
    box = page.locator("#mairie-map").bounding_box()
    target = None
    for i in range(hidden.count()):
        b = hidden.nth(i).bounding_box()
        cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        if box["x"] + 60 < cx < box["x"] + box["width"] - 60 and box["y"] + 60 < cy < box["y"] + box["height"] - 40:
            target = (hidden.nth(i).text_content(), cx, cy)
            break
    assert target, "no hidden label inside the map"
    page.mouse.move(target[1], target[2])
    hovered = page.locator("#mairie-map .map-label.map-label-on")
    expect(hovered).to_have_count(1)
    expect(hovered).to_be_visible()
    expect(hovered).to_have_text(target[0])
    map_shot(page, shot, f"mairie-map-150-{name}-hover")
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] + 40)
    expect(hovered).to_have_count(0)
    # A tap (a click) keeps it shown until the next one.
    page.mouse.click(target[1], target[2])
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] + 40)
    expect(hovered).to_have_text(target[0])
    page.mouse.click(target[1], target[2])
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] + 40)
    expect(hovered).to_have_count(0)

    # Zoomed in (a double click, as a mouse would): more names, still apart.
    ours = len([lab for lab in shown if lab["text"].startswith(PREFIX)])
    for _ in range(6):
        zoom = int(page.locator("#mairie-map").get_attribute("data-labels-zoom"))
        page.mouse.dblclick(target[1], target[2])   # zooms in around the communities
        expect(page.locator("#mairie-map")).to_have_attribute("data-labels-zoom", str(zoom + 1))
        page.mouse.move(box["x"] + 2, box["y"] + box["height"] + 40)
        expect(page.locator("#mairie-map .map-label.map-label-on")).to_have_count(0)
        if len([lab for lab in shown_labels(page) if lab["text"].startswith(PREFIX)]) > ours:
            break
    else:
        raise AssertionError("no more names shown after zooming in six times")
    map_shot(page, shot, f"mairie-map-150-{name}-zoomed")


def test_a_map_of_150_communities_is_readable(browser, live_server, login, shot, demo_agent, e2e_db, crowded_commune):
    for name, viewport in (("360", {"width": 360, "height": 740}), ("1280", {"width": 1280, "height": 800})):
        errors = []
        with browsing(browser, live_server, errors, viewport=viewport, timezone_id="Europe/Paris") as page:
            enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
            check_map(page, shot, name)
            if name == "360":
                # The keyboard alone: from the map's note to the table of every community (as text).
                link = page.get_by_role("link", name="tableau des communautés")
                link.focus()
                page.keyboard.press("Enter")
                expect(page.locator("#communities-title")).to_be_focused()
                rows = page.locator("table.stacked tbody tr")
                expect(rows).to_have_count(50)
                expect(rows.filter(has_text=PREFIX)).not_to_have_count(0)
                expect(page.get_by_role("navigation", name="Pages des communautés")).to_be_visible()
        assert not errors, errors


def test_a_few_communities_keep_their_names(browser, live_server, login, shot, demo_agent, e2e_db,
                                            demo_communities_alone):
    """The demo commune's few communities: their names stay written on the map, apart."""
    for name, viewport in (("360", {"width": 360, "height": 740}), ("1280", {"width": 1280, "height": 800})):
        errors = []
        with browsing(browser, live_server, errors, viewport=viewport, timezone_id="Europe/Paris") as page:
            enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
            expect(page.locator("#mairie-map")).to_have_attribute("data-labels-zoom", re.compile(r"\d+"))
            labels = page.locator("#mairie-map .map-label")
            assert labels.count() >= 3
            shown_labels(page)
            map_shot(page, shot, f"mairie-map-demo-{name}")
            # Le Bourg's name, where Rue Émile Cloud's sits, moves just above or below it.
            assert sorted(lab["text"] for lab in page.evaluate(LABELS) if lab["visible"]) == sorted(DEMO)
        assert not errors, errors


MARKUP = '<img src=x onerror="document.body.dataset.xss=1">Bourg d’en-haut 😀 « pirate »'


@pytest.fixture
def community_named_with_markup(demo_agent, e2e_db):
    """A référent typed markup into their community's name (the walk of 2026-12-07)."""
    import sqlalchemy as sa
    from shapely.geometry import box

    from vvs_core.models import Commune, Community

    with e2e_db() as session:
        commune = session.scalar(sa.select(Commune).where(Commune.insee == "77449"))
        session.add(Community(commune_id=commune.id, name=MARKUP, boundary=box(2.7790, 48.8440, 2.7820, 48.8460)))
        session.commit()
    yield
    with e2e_db() as session:
        session.execute(sa.delete(Community).where(Community.name == MARKUP))
        session.commit()


def test_a_name_typed_with_markup_is_shown_as_text_on_the_map(browser, live_server, login, shot, demo_agent, e2e_db,
                                                              community_named_with_markup):
    errors = []
    with browsing(browser, live_server, errors, viewport={"width": 360, "height": 740},
                  timezone_id="Europe/Paris") as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        label = page.locator("#mairie-map .map-label").filter(has_text="Bourg d’en-haut")
        expect(label).to_have_count(1)
        expect(label).to_have_text(MARKUP)  # the characters typed, not an image
        assert page.locator("#mairie-map .map-label img").count() == 0
        assert page.evaluate("document.body.dataset.xss") is None
    assert not errors, errors
