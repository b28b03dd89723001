"""aiogram's aiohttp session with two savings on the answer path.

- A request without files goes as a JSON body, not a multipart form (no boundary, no field
  quoting): Telegram takes both.
- The result of a call nobody reads (an edit, a callback's answer, a chat action) is checked
  for `ok` but not turned into models. Errors are read by aiogram as usual (429, 403, ...).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError

JSON_HEADERS = {"Content-Type": "application/json"}
UNREAD = frozenset({"editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendChatAction"})


class JsonSession(AiohttpSession):
    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> TelegramType:
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            value = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if value is not None and value != "" and value is not False:
                body[key] = value
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        name = method.__api_method__
        url = self.api.api_url(token=bot.token, method=name)
        try:
            async with session.post(url, data=self.json_dumps(body), headers=JSON_HEADERS,
                                    timeout=self.timeout if timeout is None else timeout) as resp:
                raw = await resp.text()
        except asyncio.TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        if name in UNREAD and resp.status == 200:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("ok") is True:
                result = data.get("result")
                return cast(TelegramType, result if isinstance(result, bool) else True)
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw)
        return cast(TelegramType, response.result)
