"""A real WordPress for the sync tests, started and stopped by the project's .ci/wordpress.sh.

Each site has its own MariaDB data directory and PHP built-in server on a free port. Tests
change a site by calling WordPress functions from PHP (`site.php(...)`), as an editor would.
Without the Debian packages the tests are skipped, except under QA_REQUIRE_WORDPRESS=1 (CI,
where .ci/run installs them), where a missing package fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "wordpress.sh"
PACKAGES = "wordpress php-cli php-xml mariadb-server"


def require_wordpress() -> None:
    """Skip (or, in CI, fail) when the Debian packages of the test WordPress are missing."""
    missing = not shutil.which("dpkg") or subprocess.run(
        ["dpkg", "-s", *PACKAGES.split()], capture_output=True
    ).returncode != 0
    if missing:
        reason = f"the test WordPress needs the Debian packages {PACKAGES} (run: .ci/wordpress.sh install)"
        if os.environ.get("QA_REQUIRE_WORDPRESS"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WordPressSite:
    """One throwaway site: `url`, `ids` (the script's special posts), `php()`, `up()`, `down()`."""

    def __init__(self, root: Path, posts: int) -> None:
        self.root = root
        self.posts = posts
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.env = {**os.environ, "WP_TMP": str(root), "N": str(posts), "PORT": str(self.port)}

    def up(self) -> WordPressSite:
        done = subprocess.run(["bash", str(SCRIPT), "up"], env=self.env, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{SCRIPT} up failed:\n{done.stdout}\n{done.stderr}")
        return self

    def down(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "down"], env=self.env, capture_output=True, timeout=120, check=True
        )

    @property
    def ids(self) -> dict[str, int]:
        return json.loads((self.root / "ids.json").read_text())

    def php(self, code: str) -> str:
        """Run PHP with WordPress loaded; returns what it echoes."""
        done = subprocess.run(
            ["php", "-r", f'require getenv("WP_TMP")."/wp/wp-load.php"; {code}'],
            env=self.env, capture_output=True, text=True, timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"php failed: {done.stderr or done.stdout}")
        return done.stdout

    def new_post(self, title: str, body: str, **fields: object) -> int:
        args = {"post_status": "publish", "post_author": 1, "post_title": title, "post_content": body,
                **fields}
        return int(self.php(f"echo wp_insert_post(json_decode({json.dumps(json.dumps(args))}, true), true);"))

    def edit(self, post_id: int, **fields: object) -> None:
        args = {"ID": post_id, **fields}
        self.php(f"wp_update_post(json_decode({json.dumps(json.dumps(args))}, true));")

    def public_ids(self) -> set[int]:
        """Ids of the posts an anonymous reader sees (published, not password-protected)."""
        out = self.php('echo json_encode(get_posts(["numberposts" => -1, "post_status" => "publish", '
                       '"has_password" => false, "fields" => "ids"]));')
        return set(json.loads(out))
