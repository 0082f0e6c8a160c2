"""Refuse to serve without the three things production cannot guess, naming each one missing.

    python -m config.preflight        # exit 0, or exit 2 with "缺少环境变量：…" on stderr

Run by `make serve` and by deploy/gunicorn.conf.py (so a unit or container that starts gunicorn directly
is refused the same way) before Django is loaded: no default database, host list or key is ever used.
"""

from __future__ import annotations

import os
import sys

REQUIRED = {
    "SECRET_KEY": "50 个以上的随机字符（会话与签名用）",
    "DJANGO_ALLOWED_HOSTS": "逗号分隔的站点域名，例如 aq.example.gov.cn",
    "DATABASE_URL": "数据库地址，例如 postgres://dutychain@127.0.0.1:5432/dutychain",
}


def missing(environ=os.environ) -> list[str]:
    def given(name: str) -> bool:
        value = environ.get(name, "").strip()
        if name == "SECRET_KEY" and not value:
            value = environ.get("DJANGO_SECRET_KEY", "").strip()
        return bool(value)

    return [name for name in REQUIRED if not given(name)]


def check(environ=os.environ) -> None:
    """Exit 2 naming every missing variable (all of them at once, not one per attempt)."""
    absent = missing(environ)
    if absent:
        lines = [f"缺少环境变量：{', '.join(absent)}（生产环境拒绝启动）"]
        lines += [f"  {name}: {REQUIRED[name]}" for name in absent]
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    check()
