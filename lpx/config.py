"""Settings, read from LPX_* environment variables or an optional ``lpx.toml`` file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


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
    batch_limit: int = Field(1000, description="Most pointers in one batch upload")

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
