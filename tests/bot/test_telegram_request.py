"""PTB's Bot API calls over aiohttp (bot/channels/telegram_request.py), against the fake Bot API."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, TimedOut

from bot.channels.telegram import qr_png
from bot.channels.telegram_request import AiohttpRequest
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI


def bot_on(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=request or AiohttpRequest())


async def test_a_message_and_a_photo_arrive_as_ptb_built_them() -> None:
    photo = qr_png("ABCD-1234")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    async with FakeTelegramAPI() as fake, bot_on(fake.base_url) as bot:
        await bot.send_message(chat_id=42, text="xin chao", reply_markup=markup)
        await bot.send_photo(chat_id=42, photo=photo)
    [message] = fake.calls_to("sendMessage")
    assert message["text"] == "xin chao" and str(message["chat_id"]) == "42"
    assert message["reply_markup"] == {"inline_keyboard": [[{"text": "Yes",
                                                              "callback_data": "yes"}]]}
    [sent] = fake.calls_to("sendPhoto")
    assert sent["photo"]["size"] == len(photo)  # the file went as a multipart part


async def test_a_refusal_is_ptbs_own_error() -> None:
    async with FakeTelegramAPI() as fake, bot_on(fake.base_url) as bot:
        fake.fail_next("sendMessage", 403)
        with pytest.raises(Forbidden):
            await bot.send_message(chat_id=42, text="hello")


async def test_no_server_is_a_network_error() -> None:
    with socket.socket() as s:  # a port that nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_a_slow_answer_times_out() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", slow)
    request = AiohttpRequest(read_timeout=0.1)
    async with TestServer(app) as server:
        await request.initialize()
        try:
            with pytest.raises(TimedOut):
                await request.do_request(str(server.make_url(f"/bot{TOKEN}/getMe")), "POST")
        finally:
            await request.shutdown()
