"""Configuration from the environment or a `.env` file, all prefixed `MOTCUA_`.

The commune's IT person edits these, so every bad value must stop start-up with one line that
names the variable and says what is expected (see `load_settings`), never a traceback.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dialogs.catalog import PROCEDURES_DIR

TELEGRAM_CLOUD_API = "https://api.telegram.org"
ZALO_OPENAPI = "https://openapi.zalo.me"
ZALO_OAUTH = "https://oauth.zaloapp.com"
DEFAULT_LISTEN = "127.0.0.1:8443"
TELEGRAM_LIMIT = 30


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line meant for the person installing."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_CLOUD_API
    database_url: str | None = None
    data_dir: Path = Path("data")
    office_name: str = "UBND thị trấn Tây Đằng"
    office_address: str = "Thị trấn Tây Đằng, huyện Ba Vì, TP Hà Nội"
    office_phone: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    same_day_cutoff: time = time(15, 0)
    extra_holidays: Annotated[tuple[date, ...], NoDecode] = ()
    extra_workdays: Annotated[tuple[date, ...], NoDecode] = ()
    case_code_prefix: str = Field(default="HS", pattern=r"^[A-Z]{0,6}$")
    max_file_mb: int = Field(default=20, ge=1, le=2000)
    procedures_dir: Path = PROCEDURES_DIR
    album_wait_seconds: float = Field(default=1.5, ge=0, le=30)
    bot_username: str | None = None
    officers_chat_id: int | None = None
    field_chats: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    office_opens: time = time(7, 30)
    office_closes: time = time(17, 0)
    morning_digest: bool = True
    digest_time: time = time(7, 30)
    reminder_working_hours: int = Field(default=4, ge=0, le=80)
    invite_hours: int = Field(default=24, ge=1, le=24 * 30)
    send_rate: int = Field(default=30, ge=1, le=1000)
    allow_paid_broadcast: bool = False
    feedback_per_day: int = Field(default=5, ge=1, le=100)
    chat_budget_updates: int = Field(default=20, ge=1, le=100_000)
    chat_budget_seconds: float = Field(default=10, gt=0, le=3600)
    listen: str | None = None
    webhook_url: str | None = None
    zalo_app_id: str | None = None
    zalo_secret_key: SecretStr | None = None
    zalo_oa_secret: SecretStr | None = None
    zalo_refresh_token: SecretStr | None = None
    zalo_access_token: SecretStr | None = None
    zalo_api_url: str = ZALO_OPENAPI
    zalo_oauth_url: str = ZALO_OAUTH
    zalo_webhook_path: str = Field(default="/zalo/webhook", pattern=r"^/[A-Za-z0-9/_-]*$")
    zalo_status_template: str | None = None
    zalo_send_rate: int = Field(default=50, ge=1, le=60)
    log_format: Literal["text", "json"] = "text"
    retention_months: int = Field(default=12, ge=1, le=240)
    abandoned_dialog_days: int = Field(default=30, ge=1, le=365)
    chat_quota_mb: int = Field(default=100, ge=1, le=100_000)

    @field_validator("telegram_api_url", "zalo_api_url", "zalo_oauth_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        """Telegram posts only to HTTPS (ports 443, 80, 88, 8443); plain HTTP is for a local Bot API
        server or the emulator, which Telegram itself refuses anyway."""
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")) or " " in value.strip():
            raise ValueError(f"'{value}' is not a URL (example: https://motcua.example.gov.vn/telegram/webhook)")
        return value.strip()

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, separator, port = value.rpartition(":")
        if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"'{value}' is not host:port (example: 127.0.0.1:8443)")
        return value

    @model_validator(mode="after")
    def _telegram_limit(self) -> Settings:
        """Telegram answers more than about 30 messages a second with 429; a higher rate only
        makes sense against the emulator (benchmarks measuring the bot rather than Telegram)."""
        if self.send_rate > TELEGRAM_LIMIT and self.telegram_api_url == TELEGRAM_CLOUD_API:
            raise ValueError(f"MOTCUA_SEND_RATE: Telegram allows about {TELEGRAM_LIMIT} messages a second, "
                             f"got {self.send_rate}")
        return self

    @model_validator(mode="after")
    def _zalo_complete(self) -> Settings:
        """Zalo needs all of its keys or none: half a configuration would fail at the first message."""
        values = {"MOTCUA_ZALO_APP_ID": self.zalo_app_id, "MOTCUA_ZALO_SECRET_KEY": self.zalo_secret_key,
                  "MOTCUA_ZALO_OA_SECRET": self.zalo_oa_secret}
        missing = [name for name, value in values.items() if not value]
        if len(missing) < len(values) and missing:
            raise ValueError(f"Zalo is half configured: set {', '.join(missing)} too (or none of the MOTCUA_ZALO_ keys)")
        return self

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (example: Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("extra_holidays", "extra_workdays", mode="before")
    @classmethod
    def _date_list(cls, value: object) -> object:
        """Accept '2027-02-05,2027-02-12' as well as a list, because .env files hold plain text."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _holidays_are_not_workdays(self) -> Settings:
        both = set(self.extra_holidays) & set(self.extra_workdays)
        if both:
            raise ValueError(f"{', '.join(sorted(map(str, both)))} is both an extra holiday and an extra workday")
        return self

    @field_validator("field_chats", mode="before")
    @classmethod
    def _field_chats(cls, value: object) -> object:
        """'ho-tich:-1001234,chung-thuc:-1005678': the officers' group chat of each field."""
        if not isinstance(value, str):
            return value
        chats: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            field, separator, chat = part.partition(":")
            if not separator or not field.strip() or not chat.strip():
                raise ValueError(f"'{part}' is not field:chat_id (example: ho-tich:-1001234567890)")
            chats[field.strip()] = chat.strip()
        return chats

    def chats_for_field(self, field_id: str) -> list[int]:
        """Group chats that receive a field's notifications besides the officers' private chats."""
        chats = [self.field_chats[field_id]] if field_id in self.field_chats else []
        if self.officers_chat_id is not None and self.officers_chat_id not in chats:
            chats.append(self.officers_chat_id)
        return chats

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id)

    @property
    def listen_address(self) -> tuple[str, int]:
        host, _, port = (self.listen or DEFAULT_LISTEN).rpartition(":")
        return host, int(port)

    @property
    def serves_http(self) -> bool:
        """The HTTP server runs for a webhook (Zalo's or Telegram's) or when an address is set for
        /healthz and /metrics; a bot that only polls Telegram opens no port unless asked."""
        return self.zalo_enabled or self.webhook_url is not None or self.listen is not None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'motcua.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def chat_quota_bytes(self) -> int:
        return self.chat_quota_mb * 1024 * 1024

    def require_token(self) -> str:
        if self.telegram_token is None or not self.telegram_token.get_secret_value().strip():
            raise SettingsError(
                "MOTCUA_TELEGRAM_TOKEN is not set: create a bot with @BotFather in Telegram "
                "and put its token in the .env file (see README)."
            )
        return self.telegram_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """`overrides` are command-line options, which win over the environment and `.env`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "MOTCUA_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"{name}: {first['msg']}") from exc
