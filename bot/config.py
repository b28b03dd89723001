"""Settings from the environment or .env (see .env.example for every one of them)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str | None = None
    bot_username: str | None = None
    default_timezone: str = "Asia/Yekaterinburg"
    invite_days: int = Field(default=30, ge=1, le=366)
    tasks_concurrency_limit: int = Field(default=50, ge=1, le=1000)
    polling_timeout: int = Field(default=30, ge=0, le=60)
    log_level: str = "INFO"
    methodology_file: str | None = None
    send_rate: float = Field(default=30, gt=0, le=1000)
    reminder_interval: int = Field(default=30, ge=1, le=3600)
    leader_check_interval: float = Field(default=15, gt=0, le=60)
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram"
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    def methodology(self):
        from scoring.methodology import load_methodology

        return load_methodology(self.methodology_file or None)

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SystemExit(
                "Не задан BOT_TOKEN: получите токен у @BotFather и впишите его в .env "
                "(образец в .env.example) или в переменную окружения BOT_TOKEN."
            )
        return self.bot_token.get_secret_value().strip()
