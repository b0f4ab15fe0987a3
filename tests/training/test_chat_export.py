from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest

from repdesk.db.engine import Database
from repdesk.kit.errors import ValidationError
from repdesk.training import chat_export
from tests.factories import create_assistant, signed_in

FIX = Path(__file__).parent / "fixtures"


def test_android_export_is_parsed_with_multiline_and_media_skipped() -> None:
    msgs = chat_export.parse(chat_export.read_export((FIX / "android.txt").read_bytes()))
    assert [m.author for m in msgs][:3] == ["Ada Obi", "Tee's Closet", "Ada Obi"]
    assert msgs[1].text.endswith("You go love am!\nNa ₦18,500.")
    assert not any("Media omitted" in m.text for m in msgs)
    assert sorted(chat_export.participants(msgs)) == ["Ada Obi", "Tee's Closet"]


def test_ios_export_is_parsed() -> None:
    msgs = chat_export.parse(chat_export.read_export((FIX / "ios.txt").read_bytes()))
    assert [(m.author, m.text.split("\n")[0]) for m in msgs] == [
        ("Kemi", "Hi, is the tote bag available?"),
        ("Mama Kemi Store", "Hello! Yes, we have it in blue and gold."),
        ("Kemi", "Blue please"),
        ("Mama Kemi Store", "Noted. Kindly send your address. Regards"),
    ]
    assert msgs[1].text.endswith("Kindly let me know which one.")


def test_the_style_profile_reflects_the_business() -> None:
    msgs = chat_export.parse((FIX / "android.txt").read_text())
    p = chat_export.derive_profile(msgs, "Tee's Closet")
    assert p["greetings"][0] == "Good morning dear"
    assert p["signOffs"][0].startswith("Thank you for shopping with us")
    assert p["favouriteEmoji"][:2] == ["😊", "💛"]
    assert p["addressCustomerAs"] == "dear"
    assert "Nigerian Pidgin" in p["languages"]
    pairs = chat_export.examples(msgs, "Tee's Closet")
    assert pairs[0]["customer"].startswith("Good morning, do you have")
    assert pairs[0]["business"].startswith("Good morning dear")
    assert len(pairs) == 4


def test_bad_files_are_refused() -> None:
    with pytest.raises(ValidationError):
        chat_export.read_export(b"")
    with pytest.raises(ValidationError):
        chat_export.read_export(b"PK\x03\x04garbage", "chat.zip")
    assert chat_export.parse("just some text\nwith no timestamps") == []


async def test_upload_zip_export_builds_the_profile(
    client: httpx.AsyncClient, db: Database
) -> None:
    acct = await signed_in(client, db)
    a = await create_assistant(db, workspace_id=acct.workspace_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("WhatsApp Chat with Ada Obi.txt", (FIX / "android.txt").read_bytes())
    r = await client.post(
        f"/api/assistants/{a.id}/training/chat-export",
        files={"file": ("WhatsApp Chat with Ada Obi.zip", buf.getvalue(), "application/zip")},
        data={"businessName": "Tee's Closet"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["examplesAdded"] == 4 and body["profile"]["addressCustomerAs"] == "dear"
    r = await client.get(f"/api/assistants/{a.id}/training/profile")
    assert r.json()["profile"]["greetings"][0] == "Good morning dear"
    assert len(r.json()["examples"]) == 4

    # The owner edits the profile; the questionnaire refines it.
    r = await client.put(
        f"/api/assistants/{a.id}/training/profile",
        json={
            "greetings": ["Hello dear"],
            "signOffs": ["Stay fabulous"],
            "formality": "casual",
            "languages": ["English"],
            "emojiRate": 0.2,
        },
    )
    assert r.status_code == 200 and r.json()["profile"]["signOffs"] == ["Stay fabulous"]
    r = await client.put(
        f"/api/assistants/{a.id}/training/questionnaire",
        json={"emojiUse": "none", "phrasesToAvoid": ["As an AI"], "tone": "warm"},
    )
    p = r.json()["profile"]
    assert p["emojiRate"] == 0.0 and p["favouriteEmoji"] == [] and p["avoidPhrases"] == ["As an AI"]
    assert r.json()["questionnaire"]["tone"] == "warm"


async def test_upload_errors_are_clear_and_store_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    acct = await signed_in(client, db)
    a = await create_assistant(db, workspace_id=acct.workspace_id)
    url = f"/api/assistants/{a.id}/training/chat-export"
    r = await client.post(
        url,
        files={"file": ("c.txt", (FIX / "android.txt").read_bytes())},
        data={"businessName": "Nobody"},
    )
    assert r.status_code == 400 and "Tee's Closet" in r.json()["message"]
    assert sorted(r.json()["participants"]) == ["Ada Obi", "Tee's Closet"]
    r = await client.post(
        url, files={"file": ("c.txt", b"hello world")}, data={"businessName": "x"}
    )
    assert r.status_code == 400 and r.json()["code"] == "NO_MESSAGES"
    r = await client.post(url, files={"file": ("c.txt", b"")}, data={"businessName": "x"})
    assert r.status_code == 400 and r.json()["code"] == "EMPTY_FILE"
    r = await client.post(url, data={"businessName": "x"})
    assert r.status_code == 400
    assert (await client.get(f"/api/assistants/{a.id}/training/profile")).json()["profile"] == {}
