"""'phocap zalo check': call Zalo with the configured credentials and say what works and what
to fix, before going live (docs/zalo.md lists the documented behaviour each check relies on).

Zalo Bot Platform: getMe (is the token taken?), getWebhookInfo (is the webhook ours, or set
while we poll?). Zalo OA: the settings that cannot be checked by a call (the app secret set,
and not the OA secret key again), GET /v2.0/oa/getoa with the access token in use, its
expiry, and with --renew one real renewal: Zalo's refresh token works once, so there is no
dry run; the new pair is stored before anything uses it, as the channel does.
"""

from __future__ import annotations

import argparse
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final

import aiohttp

from bot.channels.http import Answer, Retry, call_once
from bot.channels.zalo_bot import SECRET_LENGTH, ZaloApiError, ZaloBotAPI
from bot.channels.zalo_bot import webhook_url as bot_webhook_url
from bot.channels.zalo_oa import WEBHOOK_PATH as OA_WEBHOOK_PATH
from bot.channels.zalo_oa import OATokens, OAuthClient, OAuthError, configured
from bot.cli.common import Parsers, out
from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import Clock
from core.dates import format_date
from storage.zalo_tokens import TokenPair, ZaloTokenStore

PROFILE_PATH: Final = "/v2.0/oa/getoa"
TOKEN_REFUSED: Final = frozenset({-216, -220, -124})  # invalid, expired or removed
CALL_SECONDS: Final = 15.0


class Level(enum.StrEnum):
    OK = "ok"
    FIX = "fix"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    key: str  # a catalogue key: zalo-check-...
    params: Mapping[str, object] = field(default_factory=dict)


def add_parsers(parsers: Parsers) -> None:
    zalo = parsers.top.add_parser("zalo").add_subparsers(dest="action", required=True)
    p = zalo.add_parser("check")
    p.add_argument("--renew", action="store_true",
                   help="renew the Zalo OA token once, for real (there is no dry run)")
    p.set_defaults(run=cmd_zalo_check)


async def cmd_zalo_check(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Each finding on a line; 0 when nothing needs fixing, 1 otherwise."""
    async with aiohttp.ClientSession() as http:
        findings = await check(rt.settings, http, ZaloTokenStore(rt.engine), clock,
                               renew=bool(args.renew))
    tz = rt.settings.tz
    for f in findings:
        params = {k: shown_time(v, tz) if isinstance(v, datetime) else v
                  for k, v in f.params.items()}
        out(rt.text(f"zalo-check-line-{f.level.value}", text=rt.text(f.key, **params)))
    fixes = sum(f.level is Level.FIX for f in findings)
    if not any(f.key not in ("zalo-check-bot-none", "zalo-check-oa-none") for f in findings):
        out(rt.text("zalo-check-nothing"))
        return 1
    out(rt.text("zalo-check-summary-fix", count=fixes) if fixes
        else rt.text("zalo-check-summary-ok"))
    return 1 if fixes else 0


def shown_time(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%H:%M} {format_date(local)}"


async def check(settings: Settings, http: aiohttp.ClientSession, store: ZaloTokenStore,
                clock: Clock, *, renew: bool = False) -> list[Finding]:
    return [*await check_bot(settings, http),
            *await check_oa(settings, http, store, clock, renew=renew)]


# ---- Zalo Bot Platform ---------------------------------------------------------------------


async def check_bot(settings: Settings, http: aiohttp.ClientSession) -> list[Finding]:
    token = settings.zalo_token.reveal()
    if not token:
        return [Finding(Level.NOTE, "zalo-check-bot-none")]
    # One attempt per call: a check says what it met, it does not wait out an outage.
    api = ZaloBotAPI(http, settings.zalo_api_url, token, Retry(attempts=1))
    try:
        me = await api.call("getMe")
    except ZaloApiError as err:
        return [_bot_refusal(err, settings)]
    name = me.get("account_name") or me.get("id") if isinstance(me, dict) else None
    found = [Finding(Level.OK, "zalo-check-bot-ok", {"name": str(name or "?")})]
    try:
        info = await api.call("getWebhookInfo")
    except ZaloApiError as err:
        return [*found, _bot_refusal(err, settings)]
    current = str(info.get("url") or "") if isinstance(info, dict) else ""
    return [*found, *_bot_webhook(settings, current)]


def _bot_refusal(err: ZaloApiError, settings: Settings) -> Finding:
    code = err.code if err.code is not None else err.status
    if err.status == 0:
        return Finding(Level.FIX, "zalo-check-bot-unreachable",
                       {"url": settings.zalo_api_url, "why": str(err).rsplit(": ", 1)[-1]})
    if code == 401 or err.status == 401:
        return Finding(Level.FIX, "zalo-check-bot-token", {"code": code})
    return Finding(Level.FIX, "zalo-check-bot-error", {"detail": str(err)})


def _bot_webhook(settings: Settings, current: str) -> list[Finding]:
    public = settings.public_url
    if not public:
        polling = Finding(Level.NOTE, "zalo-check-bot-polling")
        if current:
            return [Finding(Level.FIX, "zalo-check-bot-polling-webhook-set", {"url": current}),
                    polling]
        return [polling]
    found: list[Finding] = []
    low, high = SECRET_LENGTH
    if not low <= len(settings.zalo_webhook_secret.reveal()) <= high:
        found.append(Finding(Level.FIX, "zalo-check-bot-secret", {"low": low, "high": high}))
    expected = bot_webhook_url(public)
    if not current:
        found.append(Finding(Level.FIX, "zalo-check-bot-webhook-unset",
                             {"expected": expected}))
    elif current.rstrip("/") != expected.rstrip("/"):
        found.append(Finding(Level.FIX, "zalo-check-bot-webhook-elsewhere",
                             {"url": current, "expected": expected}))
    else:
        found.append(Finding(Level.OK, "zalo-check-bot-webhook-ok", {"url": current}))
    return found


# ---- Zalo Official Account -----------------------------------------------------------------


async def check_oa(settings: Settings, http: aiohttp.ClientSession, store: ZaloTokenStore,
                   clock: Clock, *, renew: bool) -> list[Finding]:
    if not configured(settings):
        return [Finding(Level.NOTE, "zalo-check-oa-none")]
    found: list[Finding] = []
    app_secret = settings.zalo_oa_app_secret.reveal()
    # A missing app secret never gets here: the settings refuse it, naming the setting.
    if app_secret == settings.zalo_oa_secret_key.reveal():
        found.append(Finding(Level.FIX, "zalo-check-oa-secrets-same"))
    if settings.public_url:
        found.append(Finding(Level.NOTE, "zalo-check-oa-webhook",
                             {"url": settings.public_url.rstrip("/") + OA_WEBHOOK_PATH}))
    else:
        found.append(Finding(Level.FIX, "zalo-check-oa-no-public-url"))

    initial = TokenPair(settings.zalo_oa_access_token.reveal(),
                        settings.zalo_oa_refresh_token.reveal())
    try:
        pair = await store.load() or initial
    except Exception:  # no database yet: the settings' pair is what runs
        pair = initial
    found.append(await _profile(settings, http, pair))
    if renew:
        found.append(await _renew(settings, http, store, initial, clock))
    else:
        found.append(Finding(Level.NOTE, "zalo-check-oa-expires", {"time": pair.expires_at})
                     if pair.expires_at else Finding(Level.NOTE, "zalo-check-oa-expiry-unknown"))
        found.append(Finding(Level.NOTE, "zalo-check-oa-renew-skipped"))
    return found


async def _profile(settings: Settings, http: aiohttp.ClientSession, pair: TokenPair
                   ) -> Finding:
    url = settings.zalo_oa_api_url.rstrip("/") + PROFILE_PATH
    answer: Answer = await call_once(http, "GET", url, CALL_SECONDS,
                                     headers={"access_token": pair.access_token})
    if answer.status == 0:
        return Finding(Level.FIX, "zalo-check-oa-unreachable",
                       {"url": settings.zalo_oa_api_url,
                        "why": str(answer.body.get("description") or "")})
    code = answer.body.get("error")
    message = str(answer.body.get("message") or "")[:200]
    data: Any = answer.body.get("data")
    if answer.status == 200 and code == 0 and isinstance(data, dict):
        return Finding(Level.OK, "zalo-check-oa-ok",
                       {"name": str(data.get("name") or "?"), "oaid": str(data.get("oaid") or "?")})
    if isinstance(code, int) and code in TOKEN_REFUSED:
        return Finding(Level.FIX, "zalo-check-oa-token-invalid", {"code": code, "message": message})
    return Finding(Level.FIX, "zalo-check-oa-error",
                   {"path": PROFILE_PATH, "code": code if code is not None else answer.status,
                    "message": message})


async def _renew(settings: Settings, http: aiohttp.ClientSession, store: ZaloTokenStore,
                 initial: TokenPair, clock: Clock) -> Finding:
    """One real renewal, through the channel's own path: the lease, then the new pair
    stored before anything uses it."""
    secret = settings.zalo_oa_app_secret.reveal()
    oauth = OAuthClient(http, settings.zalo_oa_oauth_url, settings.zalo_oa_app_id, secret,
                        Retry(attempts=1))
    tokens = OATokens(store, initial, oauth, clock)
    try:
        fresh = await tokens.refresh(await tokens.load())
    except OAuthError as err:
        return Finding(Level.FIX, "zalo-check-oa-renew-failed", {"why": str(err)})
    except Exception as err:  # most likely no database: say which
        return Finding(Level.FIX, "zalo-check-oa-renew-no-database",
                       {"why": type(err).__name__})
    return Finding(Level.OK, "zalo-check-oa-renew-ok", {"time": fresh.expires_at or "?"})
