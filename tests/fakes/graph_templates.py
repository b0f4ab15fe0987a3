"""The fake Graph API's message templates: list, create, edit, delete, the Resumable Upload API
that gives a media header its ``header_handle``, and Meta's template status webhooks.

Mixed into :class:`tests.fakes.graph.FakeGraph`. It answers in Meta's formats: a created
template is ``{"id", "status": "PENDING", "category"}``; an edit or a deletion
``{"success": true}``; an upload session ``{"id": "upload:..."}`` then ``{"h": handle}``; errors
carry ``error_subcode``, ``error_user_title`` and ``error_user_msg`` as Meta's template
errors do. Natural refusals: a name already used in that language, the WABA's template limit
(``template_limit``), a media header whose handle this server did not issue, variables without
examples. Forced ones: :meth:`fail_template` (``name_taken``, ``too_many``, ``policy``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

_ids = itertools.count(1)

# Meta's answers to a template it will not create (the codes and Meta's titles).
FORCED: dict[str, tuple[int, int | None, str, str, str]] = {
    # kind: (code, subcode, message, user title, user message)
    "name_taken": (
        100,
        2388024,
        "Invalid parameter",
        "Content in This Language Already Exists",
        "There is already content in this language for this template. Create a new template "
        "and try again.",
    ),
    "too_many": (
        100,
        2388019,
        "Invalid parameter",
        "Message Template Limit Reached",
        "You have reached the maximum number of message templates for this account.",
    ),
    "policy": (
        368,
        1404006,
        "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
        "Template Not Allowed",
        "This template doesn't comply with the WhatsApp Business Commerce Policy.",
    ),
}


class GraphTemplates:
    """Template endpoints of the fake; the state lives on the FakeGraph dataclass."""

    version: str
    lock: threading.Lock
    templates: dict[str, list[dict[str, Any]]]
    failures: list[Any]
    app_id: str
    template_limit: int
    uploads: dict[str, dict[str, Any]]
    handles: dict[str, bytes]

    # -- test controls ------------------------------------------------------------------------

    @staticmethod
    def template(name: str, language: str, status: str, *, body: str = "Hello") -> dict[str, Any]:
        return {
            "id": str(abs(hash((name, language))) % 10**15),
            "name": name,
            "language": language,
            "status": status,
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": body}],
            "quality_score": {"score": "GREEN" if status == "APPROVED" else "UNKNOWN"},
        }

    def fail_template(self, kind: str) -> None:
        """The next template creation or edit answers Meta's ``kind`` refusal."""
        code, subcode, message, title, user_msg = FORCED[kind]
        from tests.fakes.graph import Failure

        with self.lock:
            self.failures.append(
                Failure(code, 400, message, "", "message_templates", subcode, title, user_msg)
            )

    def find_template(self, template_id: str) -> dict[str, Any] | None:
        for rows in self.templates.values():
            for row in rows:
                if row["id"] == template_id:
                    return row
        return None

    def status_webhook(
        self, template_id: str, event: str, *, reason: str = "NONE", waba: str | None = None
    ) -> dict[str, Any]:
        """Meta's ``message_template_status_update`` for a template of this fake (whose
        status it also takes, so that a later sync agrees)."""
        row = self.find_template(template_id)
        assert row is not None, f"no template {template_id}"
        row["status"] = event
        value: dict[str, Any] = {
            "event": event,
            "message_template_id": int(template_id),
            "message_template_name": row["name"],
            "message_template_language": row["language"],
            "reason": reason,
            "message_template_category": row["category"],
        }
        if event == "REJECTED":
            value["rejection_info"] = {
                "reason": "Your template has parameters placed next to each other.",
                "recommendation": "Separate parameters with descriptive text.",
            }
        owner = waba or next(w for w, rows in self.templates.items() if row in rows)
        return {
            "entry": [
                {
                    "id": owner,
                    "time": int(time.time()),
                    "changes": [{"value": value, "field": "message_template_status_update"}],
                }
            ],
            "object": "whatsapp_business_account",
        }

    def send_status(self, url: str, secret: str, template_id: str, event: str, **kw: Any) -> int:
        """POST the status webhook to ``url``, signed with the App Secret, as Meta does."""
        body = json.dumps(self.status_webhook(template_id, event, **kw)).encode()
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        r = httpx.post(
            url,
            content=body,
            headers={"x-hub-signature-256": sig, "content-type": "application/json"},
        )
        return r.status_code

    # -- the endpoints ------------------------------------------------------------------------

    @staticmethod
    def template_error(
        code: int, message: str, *, subcode: int | None = None, title: str = "", user_msg: str = ""
    ) -> JSONResponse:
        err: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "is_transient": False,
            "fbtrace_id": uuid.uuid4().hex[:20],
        }
        if subcode is not None:
            err["error_subcode"] = subcode
        if title:
            err["error_user_title"] = title
            err["error_user_msg"] = user_msg
        return JSONResponse({"error": err}, status_code=400)

    async def template_route(
        self, request: Request, parts: list[str], body: Any, raw: bytes
    ) -> Response | None:
        """The answer for a template or upload call, or None when the path is not one."""
        method = request.method
        if parts == ["app"] and method == "GET":
            return JSONResponse({"id": self.app_id, "name": "Fake app"})
        if len(parts) == 1 and parts[0].startswith("upload:") and method == "POST":
            return self._upload_chunk(request, parts[0], raw)
        if len(parts) == 2 and parts[1] == "uploads" and method == "POST":
            return self._open_upload(parts[0], request)
        if len(parts) == 2 and parts[1] == "message_templates":
            if method == "GET":
                return self._list(parts[0], request)
            if method == "POST":
                return self._create(parts[0], body)
            if method == "DELETE":
                return self._delete(parts[0], request)
        if len(parts) == 1 and method == "POST" and self.find_template(parts[0]) is not None:
            return self._edit(parts[0], body)
        return None

    def _list(self, waba: str, request: Request) -> Response:
        rows = self.templates.get(waba)
        if rows is None:
            return self.template_error(100, f"Object with ID '{waba}' does not exist")
        limit = int(request.query_params.get("limit", "25"))
        start = int(request.query_params.get("after", "0") or 0)
        chunk = rows[start : start + limit]
        paging: dict[str, Any] = {
            "cursors": {"before": str(start), "after": str(start + len(chunk))}
        }
        if start + limit < len(rows):
            paging["next"] = f"/{self.version}/{waba}/message_templates?after={start + limit}"
        return JSONResponse({"data": chunk, "paging": paging})

    def _problem(self, body: Any) -> str | None:
        """Meta's checks of a template's components (the ones the fake needs)."""
        comps = body.get("components")
        if not isinstance(comps, list) or not any(
            isinstance(c, dict) and c.get("type") == "BODY" for c in comps
        ):
            return "The template needs a BODY component."
        for c in comps:
            if c.get("type") == "HEADER" and c.get("format") in ("IMAGE", "VIDEO", "DOCUMENT"):
                handles = (c.get("example") or {}).get("header_handle") or [""]
                if handles[0] not in self.handles:
                    return "The header_handle is not a file uploaded to this app."
            text = str(c.get("text") or "")
            wanted = len(set(re.findall(r"\{\{(\d+)\}\}", text)))
            if c.get("type") == "BODY" and wanted:
                rows = (c.get("example") or {}).get("body_text") or [[]]
                if len(rows[0]) != wanted:
                    return "The body's variables need one example value each."
        return None

    def _create(self, waba: str, body: Any) -> Response:
        if waba not in self.templates:
            return self.template_error(100, f"Object with ID '{waba}' does not exist")
        if not isinstance(body, dict) or not re.fullmatch(
            r"[a-z0-9_]{1,512}", str(body.get("name"))
        ):
            return self.template_error(
                100, "(#100) Param name must be lowercase letters, digits or _"
            )
        if body.get("category") not in ("MARKETING", "UTILITY", "AUTHENTICATION"):
            return self.template_error(100, "(#100) Param category is not a valid enum value")
        rows = self.templates[waba]
        if any(r["name"] == body["name"] and r["language"] == body.get("language") for r in rows):
            _, subcode, message, title, user_msg = FORCED["name_taken"]
            return self.template_error(
                100, message, subcode=subcode, title=title, user_msg=user_msg
            )
        if len(rows) >= self.template_limit:
            _, subcode, message, title, user_msg = FORCED["too_many"]
            return self.template_error(
                100, message, subcode=subcode, title=title, user_msg=user_msg
            )
        problem = self._problem(body)
        if problem:
            return self.template_error(
                100, "Invalid parameter", title="Invalid Parameter", user_msg=problem
            )
        tid = str(1_700_000_000_000_000 + next(_ids))
        with self.lock:
            rows.append(
                {
                    "id": tid,
                    "name": body["name"],
                    "language": body.get("language"),
                    "status": "PENDING",
                    "category": body["category"],
                    "components": body["components"],
                    "quality_score": {"score": "UNKNOWN"},
                }
            )
        return JSONResponse({"id": tid, "status": "PENDING", "category": body["category"]})

    def _edit(self, template_id: str, body: Any) -> Response:
        row = self.find_template(template_id)
        assert row is not None
        if row["status"] not in ("APPROVED", "REJECTED", "PAUSED"):
            return self.template_error(
                100,
                "Invalid parameter",
                subcode=2388040,
                title="Template Can't Be Edited",
                user_msg="Only approved, rejected or paused templates can be edited.",
            )
        if not isinstance(body, dict):
            return self.template_error(100, "Invalid parameter")
        problem = self._problem(body)
        if problem:
            return self.template_error(
                100, "Invalid parameter", title="Invalid Parameter", user_msg=problem
            )
        with self.lock:
            row["components"] = body["components"]
            row["category"] = body.get("category") or row["category"]
            row["status"] = "PENDING"
        return JSONResponse({"success": True})

    def _delete(self, waba: str, request: Request) -> Response:
        name = request.query_params.get("name", "")
        hsm_id = request.query_params.get("hsm_id")
        rows = self.templates.get(waba, [])
        gone = [r for r in rows if r["name"] == name and (not hsm_id or r["id"] == hsm_id)]
        if not name or not gone:
            return self.template_error(
                100,
                "Invalid parameter",
                subcode=2593002,
                title="Message Template Not Found",
                user_msg=f"The message template {name} could not be found.",
            )
        with self.lock:
            self.templates[waba] = [r for r in rows if r not in gone]
        return JSONResponse({"success": True})

    def _open_upload(self, app_id: str, request: Request) -> Response:
        q = request.query_params
        if app_id != self.app_id:
            return self.template_error(100, f"Object with ID '{app_id}' does not exist")
        if not q.get("file_length", "").isdigit() or not q.get("file_type"):
            return self.template_error(100, "(#100) file_length and file_type are required")
        sid = f"upload:{uuid.uuid4().hex}"
        with self.lock:
            self.uploads[sid] = {
                "name": q.get("file_name", ""),
                "length": int(q["file_length"]),
                "type": q["file_type"],
            }
        return JSONResponse({"id": f"{sid}?sig={uuid.uuid4().hex[:12]}"})

    def _upload_chunk(self, request: Request, sid: str, raw: bytes) -> Response:
        meta = self.uploads.get(sid)
        if meta is None:
            return self.template_error(100, "Invalid upload session")
        if not request.headers.get("authorization", "").startswith("OAuth "):
            return self.template_error(190, "The upload session needs 'Authorization: OAuth'")
        if request.headers.get("file_offset") != "0" or len(raw) != meta["length"]:
            return self.template_error(100, "(#100) file_offset or length mismatch")
        handle = f"4::{meta['type']}:{uuid.uuid4().hex}"
        with self.lock:
            self.handles[handle] = raw
        return JSONResponse({"h": handle})
