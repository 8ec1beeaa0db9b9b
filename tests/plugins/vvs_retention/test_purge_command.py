"""`vvs purge INI`, the command vvs_retention adds, run as users run it."""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from test_cli import run_vvs, write_ini  # noqa: E402


def test_without_the_plugin_there_is_no_purge_command(tmp_path):
    result = run_vvs("purge", str(write_ini(tmp_path)), cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice: 'purge'" in result.stderr


def test_purge_deletes_what_is_older_than_its_retention(tmp_path):
    migrated_ini = write_ini(tmp_path, vvs__plugins="vvs_dev_providers vvs_retention")
    assert run_vvs("db", "upgrade", str(migrated_ini), cwd=tmp_path).returncode == 0
    database = migrated_ini.parent / "var" / "vvs.sqlite"
    texts = []
    with sqlite3.connect(database) as conn:
        for n, (created, status) in enumerate((("2020-01-02 08:00:00.000000", "sent"),
                                               ("2020-01-02 08:00:00.000000", "pending"),
                                               ("2099-01-01 00:00:00.000000", "sent"))):
            content = conn.execute("INSERT INTO notification_contents (title, body, created_at) "
                                   "VALUES ('Alerte', 'Texte', ?)", (created,)).lastrowid
            texts.append(content)
            conn.execute("INSERT INTO notifications (dedupe_key, kind, subject_type, channel, address, content_id, "
                         "status, attempts, provider, last_error, created_at, next_attempt_at) "
                         "VALUES (?, 'alert', '', 'email', '', ?, ?, 0, '', '', ?, ?)",
                         (f"purge-cli:{n}", content, status, created, created))
        conn.execute("INSERT INTO community_events (kind, data, public, created_at) "
                     "VALUES ('renamed', '{}', 1, '2019-05-01 00:00:00.000000')")
    result = run_vvs("purge", str(migrated_ini), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "notifications: 1 rows older than" in result.stdout and "community_events: 1 rows" in result.stdout
    with sqlite3.connect(database) as conn:
        keys = {row[0] for row in conn.execute("SELECT dedupe_key FROM notifications WHERE dedupe_key LIKE 'purge-cli:%'")}
        assert keys == {"purge-cli:1", "purge-cli:2"}  # in flight, and recent, stay
        # The text of the deleted notification goes with it; the others' stay.
        left = {row[0] for row in conn.execute("SELECT id FROM notification_contents")}
        assert texts[0] not in left and {texts[1], texts[2]} <= left
        assert conn.execute("SELECT count(*) FROM community_events WHERE created_at < '2020'").fetchone()[0] == 0
