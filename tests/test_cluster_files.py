"""The files `helpdesk start --replicas` writes before it starts anything (bot/ops/cluster.py), without servers."""

from __future__ import annotations

from pathlib import Path

from bot.ops import cluster
from core.settings import Settings


def test_the_files_holding_passwords_are_readable_by_their_owner_only(tmp_path: Path):
    settings = Settings.from_env({"HELPDESK_VAR_DIR": str(tmp_path / "var")})
    config = cluster.redis_config(settings)
    url = cluster.redis_url(settings)
    folder = cluster.cluster_dir(settings)
    for path in (config, folder / "redis.password"):
        assert path.stat().st_mode & 0o077 == 0, path
    password = (folder / "redis.password").read_text()
    assert f"requirepass {password}" in config.read_text() and f":{password}@" in url
    assert cluster.redis_config(settings).read_text() == config.read_text()  # the same password on a restart
