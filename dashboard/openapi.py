"""The OpenAPI document of the contact API: what a municipal system needs to read and add
contact records (the question log, referrals and their follow-up, the callback list, the
product catalog). Served at ``/api/openapi.json``; ``tests/dashboard/test_openapi.py`` checks
the running app against it with schemathesis. The pages use the same endpoints.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from callcenter.contacts.register import CATEGORIES, OUTCOMES, REFERRAL_STATES
from dashboard.keys import SERVICE
from routing.site import Site

__all__ = ["build", "setup"]

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _errors(*codes: int) -> dict[str, Any]:
    what = {
        400: "Bad input: the body or a field (``error.field``) is wrong",
        401: "Not logged in: a session cookie or ``Authorization: Bearer vt_…`` is needed",
        403: "The user's roles do not allow it (or another counter's record)",
        404: "No such record",
        409: "Not possible now (see ``error.id``)",
        413: "The body is too large",
        502: "Asterisk refused the action",
        503: "Asterisk is out of reach",
    }
    return {
        str(c): {"description": what[c], "content": {JSON: {"schema": _ref("Error")}}}
        for c in (401, 403, *codes)
    }


def _ok(status: int, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {str(status): {"description": description, "content": {JSON: {"schema": schema}}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _path_id(name: str, description: str, kind: str = "integer") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": kind},
    }


_TEXT = {"type": "string", "maxLength": 2000}
_DAY = {"type": "string", "format": "date"}
_TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["id", "message"],
                "properties": {
                    "id": {"type": "string", "description": "stable, e.g. ``invalid-field``"},
                    "message": {"type": "string", "description": "for people (Dutch)"},
                    "field": {"type": "string"},
                },
            }
        },
    },
    "Referral": {
        "type": "object",
        "required": ["id", "contact_id", "to_counter", "to_partner", "request", "due", "status"],
        "properties": {
            "id": {"type": "integer"},
            "contact_id": {"type": "integer"},
            "to_counter": _nullable("string", description="a counter of the site"),
            "to_partner": _nullable("string", description="an outside partner (catalog)"),
            "request": _nullable("string"),
            "due": _DAY,
            "status": {
                "type": "string",
                "enum": ["open", "contacted", "handled", "unreachable", "not_for_us"],
            },
            "response": _nullable("string"),
            "created_by": {"type": "string"},
            "created_at": _TIME,
            "updated_by": _nullable("string"),
            "updated_at": _nullable("string", format="date-time"),
            "overdue": _nullable("boolean"),
        },
    },
    "Contact": {
        "type": "object",
        "description": "klantcontact (VNG Klantinteracties): one registered question",
        "required": ["id", "channel", "topic", "category", "outcome", "author", "referrals"],
        "properties": {
            "id": {"type": "integer"},
            "call_id": _nullable("string"),
            "caller": _nullable("string", description="E.164 (+32…), or a pseudonym p:…"),
            "channel": {"type": "string", "enum": ["phone", "walk-in"]},
            "counter": _nullable("string"),
            "topic": {"type": "string"},
            "category": {"type": "string"},
            "product": _nullable("string"),
            "summary": _nullable("string"),
            "outcome": {
                "type": "string",
                "enum": ["answered", "referred", "appointment", "callback"],
            },
            "author": {"type": "string"},
            "created_at": _TIME,
            "updated_by": _nullable("string"),
            "updated_at": _nullable("string", format="date-time"),
            "referrals": {"type": "array", "items": _ref("Referral")},
        },
    },
    "NewReferral": {
        "type": "object",
        "description": "to a counter of the site or an outside partner; due: today or later",
        "properties": {
            "to_counter": {"type": "string"},
            "to_partner": {"type": "string", "maxLength": 120},
            "request": _TEXT,
            "due": _DAY,
        },
    },
    "NewContact": {
        "type": "object",
        "required": ["topic", "category", "outcome"],
        "additionalProperties": False,
        "properties": {
            "call_id": {"type": "string", "description": "the call it was asked on"},
            "caller": {"type": "string", "description": "the citizen's number, any form"},
            "counter": {"type": "string", "description": "a walk-in: the counter"},
            "topic": {"type": "string"},
            "category": {"type": "string"},
            "product": {"type": "string"},
            "summary": _TEXT,
            "outcome": {"type": "string"},
            "referral": _ref("NewReferral"),
        },
    },
    "ContactEdit": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "topic": {"type": "string"},
            "category": {"type": "string"},
            "product": {"type": "string"},
            "summary": _TEXT,
            "outcome": {"type": "string"},
        },
    },
    "Report": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {
            "status": {
                "type": "string",
                "description": "contacted, handled, unreachable or not_for_us",
            },
            "response": _TEXT,
            "refer_on": _ref("NewReferral"),
        },
    },
    "LostCall": {
        "type": "object",
        "required": ["call_id", "caller", "started", "kind", "attempts"],
        "properties": {
            "call_id": {"type": "string"},
            "caller": {"type": "string"},
            "started": _TIME,
            "queue": _nullable("string"),
            "counter": _nullable("string"),
            "topic": _nullable("string"),
            "reason": _nullable("string"),
            "kind": {"type": "string", "enum": ["abandoned", "callback_request"]},
            "waited_seconds": _nullable("integer"),
            "earlier_contacts": {"type": "integer"},
            "attempts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "actor", "result"],
                    "properties": {
                        "at": _TIME,
                        "actor": {"type": "string"},
                        "result": {"type": "string"},
                        "note": _nullable("string"),
                    },
                },
            },
            "dial": {
                "type": ["object", "null"],
                "description": "Vuurtoren dials it by itself",
                "properties": {
                    "id": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["queued", "opening"]},
                    "state": {
                        "type": "string",
                        "enum": [
                            "waiting",
                            "in_line",
                            "dialing",
                            "reached",
                            "given_up",
                            "cancelled",
                        ],
                    },
                    "attempts": {"type": "integer"},
                    "position": _nullable("integer"),
                    "next_at": _nullable("string", format="date-time"),
                    "agent": _nullable("string"),
                },
            },
        },
    },
    "Place": {
        "type": "object",
        "required": ["id", "name", "open"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "open": {"type": "boolean"},
            "next_open": _nullable("string", format="date-time"),
        },
    },
    "Product": {
        "type": "object",
        "required": ["id", "name", "counter", "keywords"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "counter": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "bring": _nullable("string"),
            "description": _nullable("string"),
            "place": _ref("Place"),
        },
    },
    "Choice": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "name": {"type": "string"},
            "counter": {"type": "string"},
        },
    },
}


def _list_of(key: str, item: dict[str, Any]) -> dict[str, Any]:
    """An object with one list: ``{key: [item, …]}``."""
    return {
        "type": "object",
        "required": [key],
        "properties": {key: {"type": "array", "items": item}},
    }


PATHS: dict[str, Any] = {
    "/api/contacts/vocabulary": {
        "get": {
            "summary": "The lists a registration is filled in from",
            "operationId": "vocabulary",
            "responses": {
                **_ok(
                    200,
                    {
                        "type": "object",
                        "required": [
                            "topics",
                            "categories",
                            "outcomes",
                            "referral_states",
                            "counters",
                        ],
                        "properties": {
                            k: {"type": "array", "items": _ref("Choice")}
                            for k in (
                                "topics",
                                "categories",
                                "outcomes",
                                "referral_states",
                                "counters",
                            )
                        },
                    },
                    "topics, categories, outcomes, referral states, counters",
                ),
                **_errors(),
            },
        }
    },
    "/api/contacts": {
        "post": {
            "summary": "Register a question (on a call, or a walk-in at a counter)",
            "operationId": "registerContact",
            "requestBody": _body(_ref("NewContact")),
            "responses": {
                **_ok(201, _ref("Contact"), "registered"),
                **_errors(400, 413),
            },
        }
    },
    "/api/contacts/{contact_id}": {
        "parameters": [_path_id("contact_id", "the contact's id")],
        "get": {
            "summary": "One registration with its referrals",
            "operationId": "getContact",
            "responses": {**_ok(200, _ref("Contact"), "the registration"), **_errors(404)},
        },
        "patch": {
            "summary": "Edit a registration (its author, or a manager); the change is kept",
            "operationId": "editContact",
            "requestBody": _body(_ref("ContactEdit")),
            "responses": {
                **_ok(200, _ref("Contact"), "edited"),
                **_errors(400, 404, 413),
            },
        },
    },
    "/api/contacts/{contact_id}/changes": {
        "parameters": [_path_id("contact_id", "the contact's id")],
        "get": {
            "summary": "The history of edits (author and managers)",
            "operationId": "contactChanges",
            "responses": {
                **_ok(
                    200,
                    _list_of("changes", {"type": "object"}),
                    "who changed what, oldest first",
                ),
                **_errors(404),
            },
        },
    },
    "/api/history": {
        "post": {
            "summary": "A caller's earlier contacts (audited); POST: no number in a URL",
            "operationId": "callerHistory",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["caller"],
                    "additionalProperties": False,
                    "properties": {
                        "caller": {"type": "string"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                }
            ),
            "responses": {
                **_ok(200, _list_of("contacts", _ref("Contact")), "newest first"),
                **_errors(400, 413),
            },
        }
    },
    "/api/referrals": {
        "get": {
            "summary": "Referrals to the user's counters (all, for agents and managers)",
            "operationId": "listReferrals",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["open", "overdue", "all"]},
                }
            ],
            "responses": {
                **_ok(200, _list_of("referrals", _ref("Referral")), "with their contact"),
                **_errors(400),
            },
        }
    },
    "/api/referrals/{referral_id}/report": {
        "parameters": [_path_id("referral_id", "the referral's id")],
        "post": {
            "summary": "Report back (terugkoppeling); not_for_us may refer on",
            "operationId": "reportBack",
            "requestBody": _body(_ref("Report")),
            "responses": {
                **_ok(200, _ref("Referral"), "the referral as it is now"),
                **_errors(400, 404, 409, 413),
            },
        },
    },
    "/api/callbacks": {
        "get": {
            "summary": "Who reached nobody, per queue, oldest first",
            "operationId": "listCallbacks",
            "parameters": [{"name": "queue", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                **_ok(200, _list_of("calls", _ref("LostCall")), "the callback list"),
                **_errors(),
            },
        }
    },
    "/api/callbacks/{call_id}/attempts": {
        "parameters": [_path_id("call_id", "the call's id", "string")],
        "post": {
            "summary": "Register a callback attempt",
            "operationId": "callbackAttempt",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["result"],
                    "additionalProperties": False,
                    "properties": {
                        "result": {
                            "type": "string",
                            "enum": ["reached", "no_answer", "busy", "wrong_number"],
                        },
                        "note": {"type": "string", "maxLength": 500},
                    },
                }
            ),
            "responses": {
                **_ok(
                    201,
                    {"type": "object", "properties": {"registered": {"type": "boolean"}}},
                    "registered",
                ),
                **_errors(400, 404, 413),
            },
        },
    },
    "/api/callbacks/{call_id}/dial": {
        "parameters": [_path_id("call_id", "the call's id", "string")],
        "post": {
            "summary": "Call back: the user's phone rings first, then the citizen",
            "operationId": "callbackDial",
            "responses": {
                **_ok(
                    200,
                    {
                        "type": "object",
                        "required": ["state", "number", "phone"],
                        "properties": {
                            "state": {"type": "string", "enum": ["dialing"]},
                            "number": {"type": "string"},
                            "phone": {"type": "string"},
                        },
                    },
                    "the user picked up; the citizen's phone rings",
                ),
                **_errors(404, 409, 502, 503),
            },
        },
    },
    "/api/catalog": {
        "get": {
            "summary": "Search the product catalog (accents, case and typos forgiven)",
            "operationId": "searchCatalog",
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                },
            ],
            "responses": {
                **_ok(
                    200,
                    {
                        "type": "object",
                        "required": ["query", "products"],
                        "properties": {
                            "query": {"type": "string"},
                            "products": {"type": "array", "items": _ref("Product")},
                        },
                    },
                    "best first, each with its counter open now or its next opening",
                ),
                **_errors(400),
            },
        }
    },
    "/api/catalog/{product_id}": {
        "parameters": [_path_id("product_id", "the product's id", "string")],
        "get": {
            "summary": "One product with its counter",
            "operationId": "getProduct",
            "responses": {**_ok(200, _ref("Product"), "the product"), **_errors(404)},
        },
    },
}


def build(site: Site) -> dict[str, Any]:
    """The document for ``site``: its topics, counters, categories and outcomes as enums."""
    schemas = copy.deepcopy(SCHEMAS)
    choices = {
        "topic": {"type": "string", "enum": [t.id for t in site.topics]},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
    }
    counters = {"type": "string", "enum": [c.id for c in site.counters]}
    schemas["NewContact"]["properties"].update(choices, counter=counters)
    schemas["ContactEdit"]["properties"].update(choices)
    schemas["NewReferral"]["properties"]["to_counter"] = counters
    schemas["Report"]["properties"]["status"] = {
        "type": "string",
        "enum": [s for s in REFERRAL_STATES if s != "open"],
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"Vuurtoren contact API ({site.name})",
            "version": "1",
            "description": (
                "Contact records of a Sociaal Huis: questions (klantcontacten), referrals "
                "and their follow-up, the callback list and the product catalog. Log in "
                "with a personal token (account page): ``Authorization: Bearer vt_…``. "
                "Every reading of a caller's history and every change is audited. Rules "
                "beyond the shapes here are answered with 400 and the field: a referral "
                "names a counter or a partner and its due date is not in the past, a "
                "walk-in is registered at one of the user's own counters, a number is a "
                "phone number, a call id is a call of this site."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": PATHS,
    }


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(build(request.app[SERVICE].site))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi_json, name="api-openapi")
