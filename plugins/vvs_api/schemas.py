"""OpenAPI schemas of the core resources (what ``views`` answers)."""
from __future__ import annotations

from vvs_core.models.notification import CHANNELS

DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": "string", "format": "date-time", "nullable": True}

MEMBERSHIP = {
    "type": "object", "required": ["community_id", "community_name", "role", "status"],
    "properties": {"community_id": {"type": "integer"}, "community_name": {"type": "string"},
                   "role": {"type": "string", "enum": ["member", "referent"]},
                   "status": {"type": "string"}},
}
ME = {
    "type": "object",
    "required": ["id", "email", "first_name", "last_name", "pseudonym", "mobile", "landline", "hide_mobile",
                 "hide_landline", "address", "notification_prefs", "memberships"],
    "properties": {
        "id": {"type": "integer"}, "email": {"type": "string", "nullable": True},
        "first_name": {"type": "string"}, "last_name": {"type": "string"}, "pseudonym": {"type": "string"},
        "mobile": {"type": "string", "nullable": True}, "landline": {"type": "string", "nullable": True},
        "hide_mobile": {"type": "boolean"}, "hide_landline": {"type": "boolean"},
        "address": {"type": "string"}, "notification_prefs": {"type": "object"},
        "memberships": {"type": "array", "items": MEMBERSHIP},
    },
}
COMMUNITY = {
    "type": "object",
    "required": ["id", "name", "description", "commune", "member_count", "role", "boundary"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"},
        "commune": {"type": "object", "required": ["insee", "name"],
                    "properties": {"insee": {"type": "string"}, "name": {"type": "string"}}},
        "member_count": {"type": "integer"},
        "role": {"type": "string", "enum": ["member", "referent"]},
        "boundary": {"type": "object", "description": "Polygone GeoJSON (longitude, latitude)."},
    },
}
NOTIFICATION = {
    "type": "object",
    "required": ["id", "kind", "channel", "title", "body", "status", "created_at", "sent_at"],
    "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "title": {"type": "string"}, "body": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "sending", "sent", "delivered", "failed", "cancelled"]},
        "created_at": DATE_TIME, "sent_at": NULLABLE_DATE_TIME,
    },
}
