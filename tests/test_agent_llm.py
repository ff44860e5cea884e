"""The optional LLM wording of answers, against a local server speaking the OpenAI-compatible
chat completions format (no LLM runs here; the wire format is what matters)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ivr.ai_agent.llm import Phraser, grounded


@dataclass
class Hit:
    question: str
    answer: str


ENTRY = Hit(
    "How do I replace a lost card?",
    "Bring your ID card to the social insurance office; the new card is ready in 5 days.",
)


class ChatServer:
    def __init__(self) -> None:
        self.reply: Any = "Take your ID card to the social insurance office. It takes 5 days."
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                server.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                time.sleep(server.delay)
                content = server.reply
                body = (
                    content
                    if isinstance(content, bytes)
                    else json.dumps(
                        {"choices": [{"message": {"role": "assistant", "content": content}}]}
                    ).encode()
                )
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.httpd.shutdown()


def test_a_grounded_wording_is_used_and_the_request_is_chat_completions(chat: ChatServer) -> None:
    phraser = Phraser(chat.url, "local-model", "sk-test", timeout=2.0)
    worded = phraser.phrase("i lost my card what now", ENTRY, "en")
    assert worded == chat.reply
    request = chat.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "local-model"
    assert (
        body["messages"][0]["role"] == "system" and ENTRY.answer in body["messages"][0]["content"]
    )
    assert body["messages"][1] == {"role": "user", "content": "i lost my card what now"}


@pytest.mark.parametrize(
    "reply",
    [
        "Take your ID card to the office; it takes 3 days.",  # a number the entry does not hold
        "NO_ANSWER",
        "x" * 500,  # far longer than the entry
        b"not json",
        b'{"choices": []}',
    ],
)
def test_an_ungrounded_or_broken_reply_falls_back_to_the_entry(
    chat: ChatServer, reply: Any
) -> None:
    chat.reply = reply
    assert Phraser(chat.url, "m", "", timeout=2.0).phrase("lost card", ENTRY, "en") is None


def test_a_slow_or_failing_llm_falls_back_within_the_timeout(chat: ChatServer) -> None:
    chat.delay = 3.0
    phraser = Phraser(chat.url, "m", "", timeout=0.5)
    started = time.monotonic()
    assert phraser.phrase("lost card", ENTRY, "en") is None
    waited = time.monotonic() - started
    chat.delay, chat.status = 0.0, 500
    assert phraser.phrase("lost card", ENTRY, "en") is None
    assert waited < 3.0  # the caller never waits for the slow server


def test_grounding_rules() -> None:
    answer = "The card costs 1.250.000 dong and is valid until 2027."
    assert grounded("It costs 1,250,000 dong, valid until 2027.", answer)
    assert not grounded("It costs 1,350,000 dong.", answer)
    assert not grounded("Sorry. NO_ANSWER", answer)


def test_a_bad_url_is_refused_with_the_setting_name() -> None:
    with pytest.raises(ValueError, match="IVR_LLM_URL"):
        Phraser("ftp://x", "m", "", timeout=1.0)
