"""One server for the chat page (Gradio, at /) and the OpenAI-compatible API (at /v1).

It binds to 127.0.0.1 unless told otherwise. On any other address it refuses to start without a login
(`RAG_UI_USERNAME` / `RAG_UI_PASSWORD`) unless `--allow-open` says the user accepts an open server.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from an offline machine

import gradio as gr
from fastapi import FastAPI

from rag.config import Settings
from rag.errors import ConfigError
from ui import api
from ui.app import build_app
from ui.render import CSS
from ui.service import ChatService

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]  # the default theme fetches web fonts


def credentials(env: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(username, password) from RAG_UI_USERNAME / RAG_UI_PASSWORD, or None; half a login is an error."""
    env = dict(os.environ if env is None else env)
    user, password = env.get("RAG_UI_USERNAME", ""), env.get("RAG_UI_PASSWORD", "")
    if bool(user) != bool(password):
        raise ConfigError("set both RAG_UI_USERNAME and RAG_UI_PASSWORD, or neither")
    return (user, password) if user else None


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth: tuple[str, str] | None, allow_open: bool) -> None:
    """Refuse to listen beyond this machine without a login, unless the user said so explicitly."""
    if not is_loopback(host) and auth is None and not allow_open:
        raise ConfigError(
            f"refusing to listen on {host} without a login: set RAG_UI_USERNAME and RAG_UI_PASSWORD, "
            "or pass --allow-open to accept an open server"
        )


def create_app(settings: Settings, auth: tuple[str, str] | None = None, service: ChatService | None = None) -> FastAPI:
    """The FastAPI app: /v1 API routes first, then the Gradio page mounted at /."""
    service = service or ChatService(settings)
    app = FastAPI(title="paper-rag")
    api.install(app, service, auth)
    demo = build_app(service).queue(default_concurrency_limit=4)
    theme = gr.themes.Soft(font=SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"])
    return gr.mount_gradio_app(app, demo, path="/", auth=auth, css=CSS, theme=theme, ssr_mode=False)


def add_server_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--allow-open", action="store_true", help="listen beyond this machine without a login")
    return parser


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, llm: argparse.ArgumentParser) -> dict:
    """`rag serve` (an entry point of `paper_rag.commands`): the index, model and source options of every command,
    plus where to listen."""
    add_server_options(
        sub.add_parser("serve", parents=[common, llm], help="chat page and OpenAI-compatible API on one server")
    )
    return {"serve": serve}


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Start the server with these settings (errors before listening are reported by the caller)."""
    import uvicorn

    auth = credentials()
    check_exposure(args.host, auth, args.allow_open)
    app = create_app(settings, auth)
    print(f"Chat page: http://{args.host}:{args.port}/   API: http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ui [options]` is `rag serve [options]`."""
    from rag.cli import main as rag_main

    return rag_main(["serve", *(sys.argv[1:] if argv is None else argv)])
