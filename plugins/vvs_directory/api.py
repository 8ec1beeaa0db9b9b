"""L'annuaire in the JSON API (/api/v1/communities/{id}/directory), declared through
vvs_api's ``vvs_api_endpoints``: the pages' own serializer, hidden numbers audited alike."""
from __future__ import annotations

from vvs_core.accounts.security import community_factory

from .directory import QUERY_MAX, directory_entry, members_statement
from .views import record_hidden_views

DIRECTORY_ENTRY = {
    "type": "object",
    "required": ["id", "name", "pseudonym", "street", "presentation", "interests", "has_photo", "referent"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "pseudonym": {"type": "string"},
        "street": {"type": "string"}, "presentation": {"type": "string"},
        "interests": {"type": "array", "items": {"type": "string"}}, "has_photo": {"type": "boolean"},
        "referent": {"type": "boolean"},
        "mobile": {"type": "string", "description": "Absent quand le membre l'a masqué."},
        "landline": {"type": "string", "description": "Absent quand le membre l'a masqué."},
        "mobile_hidden": {"type": "boolean"}, "landline_hidden": {"type": "boolean"},
    },
}


def declare(api):
    api.schema("DirectoryEntry", DIRECTORY_ENTRY)
    api.route("api_directory", r"/api/v1/communities/{community_id:\d{1,9}}/directory", factory=community_factory)
    api.view(directory_view, "api_directory", method="GET", permission="community.view",
             tags=["communauté"], paginated=True, response_schema={"$ref": "#/components/schemas/DirectoryEntry"},
             summary="Annuaire d'une communauté (les numéros masqués n'y figurent pas)",
             query=[{"name": "q", "in": "query", "required": False,
                     "description": "Recherche sur le nom, le pseudonyme ou la rue.",
                     "schema": {"type": "string", "maxLength": QUERY_MAX}}])


def directory_view(request):
    api = request.api
    page = api.page_params(request)
    query = request.GET.get("q", "")
    if len(query) > QUERY_MAX:
        raise api.Error(400, "invalid_parameter", f"La recherche fait {QUERY_MAX} caractères au plus.")
    community = request.context.community
    insee = community.commune.insee
    result = api.paginate_query(request, request.dbsession, members_statement(community.id, query),
                                lambda row: directory_entry(request.principals, row[0], commune_insee=insee, role=row[1]),
                                page)
    record_hidden_views(request, community, result["items"])
    return result
