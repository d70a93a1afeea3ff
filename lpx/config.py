"""Settings, read from LPX_* environment variables or an optional ``lpx.toml`` file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from lpx.domain.blocking import LONE_KEY_BLOCK_LIMIT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LPX_", toml_file="lpx.toml", extra="ignore")

    database_url: str = Field(
        "sqlite:///./.lpx/hub.db", description="SQLAlchemy URL; postgresql://... in production"
    )
    data_dir: Path = Field(Path(".lpx"), description="Where the hub keeps its own key files")
    index_key_file: Path | None = Field(
        None, description="Hub key for hashing blocking keys (default: DATA_DIR/index.key)"
    )
    match_threshold: float = Field(20.0, description="Match weight (bits) for class 'match'")
    possible_threshold: float = Field(10.0, description="Match weight (bits) for 'possible'")
    model_file: Path | None = Field(None, description="Trained match model (JSON)")
    candidate_limit: int = Field(500, description="Most pointers scored per inquiry")
    lone_key_block_limit: int = Field(
        LONE_KEY_BLOCK_LIMIT, ge=0,
        description="A pointer sharing one blocking key only with an inquiry is scored while "
        "that key's block holds at most this many pointers (README, 'Blocking at scale')")
    batch_limit: int = Field(1000, description="Most pointers in one batch upload")
    # Encryption at rest (docs/privacy.md, "Encryption at rest and crypto-shredding").
    kek_dir: Path | None = Field(
        None, description="Where the file key provider keeps each state's KEK (DATA_DIR/kek)"
    )
    data_key_cache_size: int = Field(256, description="Most unwrapped data keys held in memory")
    data_key_cache_seconds: float = Field(
        60.0, description="How long an unwrapped data key is used before it is looked up again"
    )
    # Safeguards (docs/privacy.md, "Rate limits and enumeration"; "Requests from outside").
    redis_url: str | None = Field(
        None, description="redis://... to keep rate counters in Redis (default: the database)"
    )
    carry_window_minutes: int = Field(
        30, gt=0, description="How long after an issuance inquiry its user may carry a candidate")
    rate_user_per_minute: int = Field(60, description="Inquiries one user may make a minute")
    rate_user_per_hour: int = Field(600, description="Inquiries one user may make an hour")
    rate_jurisdiction_per_hour: int = Field(
        20000, description="Inquiries all users of one jurisdiction may make an hour"
    )
    rate_jurisdiction_per_day: int = Field(
        100000, ge=1, description="Inquiries all users of one jurisdiction may make a day (UTC)"
    )
    enumeration_window_hours: int = Field(24, description="How long inquiry features are kept")
    enumeration_cooldown_hours: int = Field(
        4, description="How long a user flagged for harvesting patterns may not search"
    )
    enumeration_max_user_inquiries: int = Field(
        200, ge=1, description="Most inquiries one user may make within the enumeration window "
        "before being flagged (a busy counter clerk serves 40-80 applicants a day)"
    )
    enumeration_max_user_people: int = Field(
        120, ge=1, description="Most distinct people (birth date and surname sound) one user "
        "may ask about within the enumeration window before being flagged"
    )
    off_hours_utc: tuple[int, int] = Field(
        (7, 12), description="UTC hours [start, end) that are night in every US time zone"
    )
    outside_objection_days: int = Field(
        14, description="Days a notified state has to object before anything is released"
    )
    outside_max_individuals: int = Field(
        25, description="Most individuals one outside request may name"
    )
    # State-to-state workflows: when a case or a transfer is flagged overdue.
    case_overdue_days: int = Field(
        30, ge=1, description="Days an unresolved duplicate case waits before it is overdue"
    )
    transfer_overdue_days: int = Field(
        14, ge=1, description="Days the former state has to confirm a transfer before overdue"
    )
    # Web console (README, "Web console").
    console_session_secret: SecretStr | None = Field(
        None, description="Signs the console's session cookie (default: random per process)"
    )
    console_idle_minutes: int = Field(
        30, ge=1, description="Minutes a console sign-in lasts without a request"
    )
    console_tokenizer_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Per state, the state-side SSN-5 tokenizer the console's browser calls "
        '(JSON, e.g. {"CA": "http://127.0.0.1:8100"}); without one, SSN-5 is disabled',
    )

    # Webhooks (README, "Notifications and webhooks").
    webhooks: bool = Field(
        False, description="Deliver webhooks from this process (lpx serve turns it on)"
    )
    webhook_allow_hosts: str = Field(
        "", description="Comma-separated hosts a webhook may reach by http or at a private, "
        "loopback or link-local address (e.g. 127.0.0.1 for tests); empty: https to public only"
    )
    webhook_interval: float = Field(2.0, gt=0, description="Seconds between delivery rounds")

    def webhook_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.webhook_allow_hosts.split(",")
                         if h.strip())  # fmt: skip

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def index_key(self) -> bytes:
        """The hub's blocking-index key, created (mode 0600) on first use."""
        path = self.index_key_file or self.data_dir / "index.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())
