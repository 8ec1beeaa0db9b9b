"""Reading official documents: real-format samples, and hostile or malformed XML refused."""
from __future__ import annotations

import pytest

from vvs_warnings.documents import (HostileDocument, UnreadableDocument, read_atom, read_cap, read_vigicrues)
from vvs_warnings.geocodes import departement_of_insee, departements_of, parse_overrides

LIMIT = 5_000_000


def test_a_meteoalarm_cap_message_reads_in_french_with_its_geocode_and_colour(sample):
    warning = read_cap(sample("orages-77.xml"), LIMIT)
    assert warning.key == "vigilance@meteo.fr,2.49.0.0.250.0.FR.20260714140000.ORAGES77"
    assert (warning.msg_type, warning.status, warning.severity, warning.colour) == ("Alert", "Actual", "Severe", "orange")
    assert warning.event == "Orages" and warning.sender_name == "Météo-France"
    assert "Ne vous abritez pas sous les arbres" in warning.instruction
    assert warning.onset.isoformat() == "2026-07-14T18:00:00+02:00"
    assert ("EMMA_ID", "FR077") in warning.geocodes and warning.area is None
    assert departements_of(warning.geocodes) == {"77"}


def test_an_update_and_a_cancel_reference_the_earlier_messages(sample):
    update = read_cap(sample("orages-77-update.xml"), LIMIT)
    assert update.msg_type == "Update" and update.severity == "Extreme" and update.colour == "rouge"
    assert update.references == ["vigilance@meteo.fr,2.49.0.0.250.0.FR.20260714140000.ORAGES77"]
    cancel = read_cap(sample("orages-77-cancel.xml"), LIMIT)
    assert cancel.msg_type == "Cancel" and len(cancel.references) == 2


def test_the_atom_feed_links_each_entry_to_its_cap_document(sample):
    entries = read_atom(sample("meteoalarm-france.atom", base="http://127.0.0.1:6780"), LIMIT)
    assert [e.cap_url for e in entries] == ["http://127.0.0.1:6780/cap/orages-77.xml",
                                            "http://127.0.0.1:6780/cap/vent-29.xml"]
    assert entries[0].key == "vigilance@meteo.fr,2.49.0.0.250.0.FR.20260714140000.ORAGES77"
    assert all(e.warning is None for e in entries)


def test_a_cap_polygon_is_lat_lon_and_becomes_lon_lat(sample):
    polygon = "48.84,2.78 48.85,2.78 48.85,2.79 48.84,2.79 48.84,2.78"
    [entry] = read_atom(sample("polygon-embedded.atom", polygon=polygon), LIMIT)
    area = entry.warning.area
    assert entry.warning.severity == "Extreme"
    assert area.bounds == pytest.approx((2.78, 48.84, 2.79, 48.85))


def test_vigicrues_sections_and_their_levels(sample):
    sections = read_vigicrues(sample("vigicrues.geojson", level=3), LIMIT)
    assert [(s.code, s.name, s.level) for s in sections] == [("MS16", "Marne francilienne", 3),
                                                            ("LO5", "Loire tourangelle", 3)]
    assert sections[0].geometry.geom_type == "MultiLineString"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""
UTF16_DOCTYPE = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]>'
                 '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>').encode("utf-16")


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, UTF16_DOCTYPE],
                         ids=["billion-laughs", "external-entity", "utf16-doctype"])
def test_hostile_xml_is_refused_unread(document):
    with pytest.raises(HostileDocument):
        read_cap(document, LIMIT)
    with pytest.raises(HostileDocument):
        read_atom(document, LIMIT)


def test_a_document_above_the_limit_is_refused_before_parsing():
    huge = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b" " * 50_000_000 + b"</feed>"
    with pytest.raises(HostileDocument, match="above the limit"):
        read_atom(huge, LIMIT)


@pytest.mark.parametrize("document", [b"", b"<alert", b"pas du XML", b"<rss/>",
                                      b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'/>",
                                      b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><sender>a</sender>"
                                      b"<identifier>b</identifier><msgType>Ack</msgType></alert>"])
def test_malformed_or_foreign_documents_are_unreadable(document):
    with pytest.raises(UnreadableDocument):
        read_cap(document, LIMIT)


@pytest.mark.parametrize("document", [b"[]", b"{\"type\": \"Feature\"}", b"\xff\xfe", b"{" * 50])
def test_bad_geojson_is_refused(document):
    with pytest.raises((UnreadableDocument, HostileDocument)):
        read_vigicrues(document, LIMIT)


def test_geocode_table_and_overrides():
    assert departements_of([("EMMA_ID", "FR02A"), ("EMMA_ID", "XX999"), ("DEPARTEMENT", "974")]) == {"2A", "974"}
    assert departements_of([("EMMA_ID", "FR900")], parse_overrides("FR900=77")) == {"77"}
    with pytest.raises(ValueError):
        parse_overrides("FR900=99")
    assert departement_of_insee("97411") == "974" and departement_of_insee("2A004") == "2A"
