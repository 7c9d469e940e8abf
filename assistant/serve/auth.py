"""Who a request comes from, what its path needs, and the log of what administrators did.

Two roles: reading (ask, search, batch, the widget) and administration (upload, delete, rebuild,
feedback review). Credentials come from settings only:
- the admin key, sent as `Authorization: Bearer KEY` (REST admin endpoints);
- the admin login at /admin/ (`admin_user` and `admin_password`, or the admin key as password);
- the user name a trusted reverse proxy sends in `proxy_user_header` (intranet single sign-on);
- the optional read key (`Authorization: Bearer KEY`, or as the password of the web login).
With no admin credential configured every administrative path is refused: the server is read-only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from assistant.core.settings import Settings

log = logging.getLogger(__name__)

ANONYMOUS, READER, ADMIN = "anonymous", "reader", "admin"
_RANK = {ANONYMOUS: 0, READER: 1, ADMIN: 2}

ADMIN_PREFIXES = ("/admin", "/api/documents", "/api/index/")
ADMIN_READS = ("/api/feedback",)  # reading feedback is administration; giving it (POST, the widget) is not
OPEN_PATHS = frozenset({"/widget.js", "/api/health", "/docs", "/docs/oauth2-redirect", "/openapi.json",
                        "/favicon.ico"})
API_PREFIXES = ("/api/", "/v1/")
REALM = "mz-assistant"


@dataclass(frozen=True)
class Identity:
    """A request's role and, for the audit log, who it is ("admin-key", a login name, a proxy user)."""

    role: str
    name: str
    client: str

    def at_least(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


def secret(value: SecretStr | None) -> str | None:
    """The secret's text, or None when it is unset or blank."""
    text = value.get_secret_value().strip() if value is not None else ""
    return text or None


def admin_password(settings: Settings) -> str | None:
    """The web admin login's password: its own setting, else the admin key."""
    return secret(settings.admin_password) or secret(settings.admin_key)


def proxy_configured(settings: Settings) -> bool:
    return bool(settings.proxy_user_header.strip() and settings.trusted_proxies)


def admin_configured(settings: Settings) -> bool:
    """True when some administrator can be recognised; False means the server is read-only."""
    return bool(secret(settings.admin_key) or admin_password(settings)
                or (proxy_configured(settings) and settings.proxy_admin_users))


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p if p.endswith("/") else p + "/") for p in prefixes)


def required_role(path: str, settings: Settings, method: str = "GET") -> str:
    """The role a request needs: admin for administration, reader (when a read key is set) for the rest."""
    if path in OPEN_PATHS:
        return ANONYMOUS
    if _under(path, ADMIN_PREFIXES) or (_under(path, ADMIN_READS) and method.upper() != "POST"):
        return ADMIN
    return READER if secret(settings.read_key) else ANONYMOUS


def _equal(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def _networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for entry in settings.trusted_proxies:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            log.warning("ASSISTANT_TRUSTED_PROXIES: %r is not an address or network; ignored", entry)
    return nets


def _in(address: str, nets) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


class Authenticator:
    """Recognises the credentials of a request (ASGI scope) against the settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.proxies = _networks(settings)
        self.proxy_header = settings.proxy_user_header.strip().lower().encode("latin-1")

    def peer(self, scope) -> str:
        client = scope.get("client")
        return client[0] if client else ""

    def from_proxy(self, scope) -> bool:
        return bool(self.proxies) and _in(self.peer(scope), self.proxies)

    def client_address(self, scope) -> str:
        """The client's address: the peer, or behind a trusted proxy the last untrusted X-Forwarded-For hop."""
        peer = self.peer(scope)
        if not self.from_proxy(scope):
            return peer
        forwarded = _header(scope, b"x-forwarded-for")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in(hop, self.proxies):
                return hop
        return hops[0] if hops else peer

    def scheme(self, scope) -> str:
        """http or https as the browser sees it (a trusted proxy's X-Forwarded-Proto counts)."""
        proto = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower() if self.from_proxy(scope) else ""
        return proto if proto in ("http", "https") else scope.get("scheme", "http")

    def identify(self, scope) -> Identity:
        """The strongest role the request's credentials give; anonymous without any."""
        s = self.settings
        client = self.client_address(scope)
        auth = _header(scope, b"authorization")
        kind, _, value = auth.partition(" ")
        kind, value = kind.lower(), value.strip()
        if kind == "bearer" and value:
            if _equal(value, secret(s.admin_key)):
                return Identity(ADMIN, "admin-key", client)
            if _equal(value, secret(s.read_key)):
                return Identity(READER, "read-key", client)
        if kind == "basic" and value:
            user, password = _basic(value)
            if user is not None:
                if _equal(user, s.admin_user) and _equal(password, admin_password(s)):
                    return Identity(ADMIN, user, client)
                if _equal(password, secret(s.read_key)):
                    return Identity(READER, user or "reader", client)
        if self.proxy_header and self.from_proxy(scope):
            user = _header(scope, self.proxy_header).strip()
            if user:
                admins = s.proxy_admin_users
                role = ADMIN if "*" in admins or user in admins else READER
                return Identity(role, user, client)
        return Identity(ANONYMOUS, "anonymous", client)

    def gradio_admin(self, request) -> str | None:
        """Gradio's `auth_dependency` for the admin app: the administrator's name, None for anyone else."""
        who = self.identify(request.scope)
        return who.name if who.role == ADMIN else None


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _basic(value: str) -> tuple[str | None, str]:
    try:
        user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, ""
    return user, password


def refusal(path: str, needed: str, who: Identity, settings: Settings) -> tuple[int, str, str, bytes | None]:
    """(status, error type, Chinese message, WWW-Authenticate value) for a request below the role it needs."""
    api = path.startswith(API_PREFIXES)
    challenge = f'Bearer realm="{REALM}"' if api else f'Basic realm="{REALM}", charset="UTF-8"'
    if needed == ADMIN and not admin_configured(settings):
        return 403, "read_only", READ_ONLY_MESSAGE, None
    if who.role != ANONYMOUS:
        return 403, "forbidden", f"“{who.name}”没有管理权限：上传、删除、重建索引和查看反馈需要管理员身份。", None
    if needed == ADMIN:
        how = ("请在请求头加上 Authorization: Bearer <管理员密钥>（ASSISTANT_ADMIN_KEY）。" if api
               else "请用管理员账号和密码登录（账号为 ASSISTANT_ADMIN_USER，默认 admin）。")
        return 401, "admin_required", "需要管理员身份：" + how, challenge.encode()
    how = ("请在请求头加上 Authorization: Bearer <访问密钥>（ASSISTANT_READ_KEY）。" if api
           else "请登录：用户名任意，密码为管理员告知的访问密钥。")
    return 401, "login_required", "本服务需要访问密钥：" + how, challenge.encode()


READ_ONLY_MESSAGE = ("本服务为只读模式：没有设置管理员凭据，上传、删除、重建索引和查看反馈都不可用。"
                     "管理员可在服务器上设置 ASSISTANT_ADMIN_KEY（见 README“Security / 安全”一节）后重启服务。")


# ---------------------------------------------------------------- audit log

_audit_lock = threading.Lock()


def audit_path(settings: Settings) -> Path:
    """Where admin actions are appended, one JSON line each."""
    return Path(settings.audit_log) if settings.audit_log else Path(settings.data_dir) / "admin_audit.jsonl"


def audit(settings: Settings, who: str, client: str, action: str, detail: str = "", ok: bool = True) -> None:
    """Record one admin action: when, who (and from where), what, and whether it worked."""
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "who": who, "client": client,
             "action": action, "detail": detail, "ok": ok}
    log.info("admin %s by %s from %s: %s%s", action, who, client, detail, "" if ok else " (failed)")
    path = audit_path(settings)
    with _audit_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_audit(settings: Settings, n: int = 100) -> list[dict]:
    """The last n admin actions, newest first."""
    path = audit_path(settings)
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[-n:]
    return [json.loads(line) for line in reversed(lines) if line.strip()]
