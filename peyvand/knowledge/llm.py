"""A client for an OpenAI-compatible chat-completions API, over plain HTTP (``urllib``).

Configured from the environment (``PEYVAND_LLM_URL``, ``PEYVAND_LLM_MODEL``,
``PEYVAND_LLM_API_KEY``, ``PEYVAND_LLM_TIMEOUT_SECONDS``) and off while the URL is empty.
It speaks the documented shape: ``POST {base}/chat/completions`` with
``{"model": …, "messages": [{"role": "system"|"user", "content": …}], "temperature": …}``
and reads ``choices[0].message.content`` from the answer. Every failure (no answer in
time, an HTTP error, a redirect, a body that is not that JSON) is an :class:`LlmError`
with a message for the agent; nothing else escapes.

Redirects are never followed: ``urllib`` would repeat the request (with the
``Authorization`` header, the API key) at whatever address a 3xx names, another host
included. A 3xx is an error that asks for the final address in ``PEYVAND_LLM_URL``.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_RESPONSE_BYTES = 1_000_000


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Turns every 3xx into an ``HTTPError`` instead of a new request elsewhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> None:
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


class LlmError(Exception):
    """The answer service could not give an answer; ``str()`` says why, for a person."""


@dataclass(frozen=True)
class LlmConfig:
    """Where and how to reach the answer service."""

    base_url: str
    model: str
    api_key: str
    timeout: float

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def llm_config() -> LlmConfig | None:
    """The configured service, or ``None`` when generated answers are off (no URL)."""
    base_url = str(getattr(settings, "PEYVAND_LLM_URL", "") or "").strip()
    if not base_url:
        return None
    return LlmConfig(
        base_url=base_url,
        model=str(getattr(settings, "PEYVAND_LLM_MODEL", "") or "").strip(),
        api_key=str(getattr(settings, "PEYVAND_LLM_API_KEY", "") or ""),
        timeout=float(getattr(settings, "PEYVAND_LLM_TIMEOUT_SECONDS", 30)),
    )


def _check(config: LlmConfig) -> None:
    parts = urlsplit(config.base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise LlmError(_("PEYVAND_LLM_URL must be an http or https address."))
    if not config.model:
        raise LlmError(_("Set PEYVAND_LLM_MODEL to the name of the model to use."))


def _content(body: bytes) -> str:
    try:
        data: Any = json.loads(body.decode("utf-8"))
        content = data["choices"][0]["message"]["content"]
    except (ValueError, UnicodeDecodeError, KeyError, IndexError, TypeError) as error:
        raise LlmError(_("The answer service sent a reply that could not be read.")) from error
    if not isinstance(content, str) or not content.strip():
        raise LlmError(_("The answer service sent an empty answer."))
    return content.strip()


def chat_complete(
    messages: list[dict[str, str]], *, config: LlmConfig, temperature: float = 0.2
) -> str:
    """The assistant's text for ``messages``. Raises :class:`LlmError` on any failure."""
    _check(config)
    payload = json.dumps(
        {"model": config.model, "messages": messages, "temperature": temperature},
        ensure_ascii=False,
    ).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    request = urllib.request.Request(config.endpoint, data=payload, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=config.timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:
            raise LlmError(
                _(
                    "The answer service redirected to another address (HTTP %(status)s); "
                    "set PEYVAND_LLM_URL to the address that answers."
                )
                % {"status": error.code}
            ) from error
        raise LlmError(
            _("The answer service replied with an error (HTTP %(status)s).")
            % {"status": error.code}
        ) from error
    except TimeoutError as error:
        raise _timeout(config) from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise _timeout(config) from error
        raise LlmError(_("The answer service could not be reached.")) from error
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise LlmError(_("The answer service could not be reached.")) from error
    if len(body) > MAX_RESPONSE_BYTES:
        raise LlmError(_("The answer service sent a reply that could not be read."))
    return _content(body)


def _timeout(config: LlmConfig) -> LlmError:
    return LlmError(
        _("The answer service did not answer within %(seconds)s seconds.")
        % {"seconds": f"{config.timeout:g}"}
    )
