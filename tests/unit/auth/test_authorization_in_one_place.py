"""Authorization stays in ``lpx.auth.policy.authorize``, called by services: the HTTP layer
never looks at roles or permissions itself (checked on the syntax tree, not by grep)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lpx

LPX = Path(lpx.__file__).parent
API_MODULES = sorted((LPX / "api").rglob("*.py"))
FORBIDDEN_NAMES = {"Role", "Permission", "GRANTS", "OWN_JURISDICTION_ONLY", "authorize"}
FORBIDDEN_MODULES = {"lpx.auth.permissions"}


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES | {"roles"}:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if node.module in FORBIDDEN_MODULES or names & FORBIDDEN_NAMES:
                found.append(f"line {node.lineno}: from {node.module} import {sorted(names)}")
        elif isinstance(node, ast.Import) and {a.name for a in node.names} & FORBIDDEN_MODULES:
            found.append(f"line {node.lineno}: import")
    return found


def test_there_are_api_modules_to_check() -> None:
    assert LPX / "api" / "routes" / "pointers.py" in API_MODULES


@pytest.mark.parametrize("path", API_MODULES, ids=lambda p: str(p.relative_to(LPX)))
def test_api_module_does_not_decide_access(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "if Role.CLERK in actor.roles: pass",
        "from lpx.auth.permissions import Role",
        "from lpx.auth.policy import authorize",
        "import lpx.auth.permissions",
        "ok = 'records' in actor.roles",
    ],
)
def test_the_check_catches_role_checks(source: str) -> None:
    assert offences(source)


# Methods with no actor: jobs the hub runs on its own clock, helpers called inside an
# already-authorized transaction, and authentication itself. Listed so a new one is a choice.
SYSTEM_CALLS: list[str] = sorted(
    [
        # operator commands run with database access (lpx jurisdiction ...), and sign-in itself
        "access.py: AccessService.add_jurisdiction",
        "access.py: AccessService.authenticate",
        "access.py: AccessService.issue_credential",
        # lpx model train --from-hub: an operator command; each state read is audited
        "model_training.py: ModelTrainingService.profiles",
        "model_training.py: ModelTrainingService.train",
        # lpx index rebuild: an operator command; each state read is audited
        "reindex.py: ReindexService.rebuild",
        # inside a transaction a service already authorized
        "cases.py: CaseOpener.after_write",
        "cases.py: CaseOpener.find",
        "cases.py: CaseOpener.open",
        "codec.py: IdentityCodec.current_key",
        "codec.py: IdentityCodec.fingerprint_key",
        "codec.py: IdentityCodec.identity",
        "codec.py: IdentityCodec.open",
        "codec.py: IdentityCodec.profile",
        "codec.py: IdentityCodec.profile_data",
        "codec.py: IdentityCodec.seal",
        "codec.py: IdentityCodec.stale",
        "enumeration.py: InquiryGuard.before_search",
        "enumeration.py: InquiryGuard.before_status",
        "limits.py: DatabaseRateLimiter.counted",
        "limits.py: DatabaseRateLimiter.hit",
        "limits.py: RateGuard.hit_for",
        "limits.py: RateGuard.settle",
        "limits.py: RateLimiter.hit",
        "limits.py: RatePolicy.limits",
        "limits.py: RedisRateLimiter.hit",
        # an upload batch's progress, recorded inside PointerService.upsert_batch's transaction
        "pointers.py: BatchProgress.begin",
        "pointers.py: BatchProgress.claim",
        "pointers.py: BatchProgress.record",
        "uploads.py: _Recorder.begin",
        "uploads.py: _Recorder.claim",
        "uploads.py: _Recorder.record",
        "uploads.py: BatchStats.check",
        "uploads.py: BatchStats.delta",
        # the SSRF check of a webhook URL (no data read; called by authorized services)
        "webhook_urls.py: WebhookUrlGuard.check",
        # public by design: what verifiers fetch and the transparency report (no personal data)
        "mdl_hub.py: MdlHubService.public_key_pem",
        "mdl_hub.py: MdlHubService.status_list",
        "mdl_hub.py: MdlHubService.trust_list",
        "transparency.py: TransparencyService.report",
        "transparency.py: Report.html",
        "transparency.py: Report.markdown",
        "transparency.py: Report.to_dict",
        # jobs on the hub's own clock, and plain value objects
        "notifications.py: Notification.payload",
        "notifications.py: NotificationService.deliver_due",
        "notifications.py: WebhookWorker.start",
        "notifications.py: WebhookWorker.stop",
        "outside.py: OutsideService.release_due_notices",
        "withdrawal.py: Receipt.message",
        "safeguards.py: SafeguardJob.start",
        "safeguards.py: SafeguardJob.stop",
    ]
)


def test_every_service_starts_by_authorizing() -> None:
    """Each public method of a service that reads or writes data calls ``authorize``."""
    missing = []
    for path in sorted((LPX / "services").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in cls.body:
                if (isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")
                        and not fn.decorator_list):  # fmt: skip
                    calls = {c.func.id for c in ast.walk(fn) if isinstance(c, ast.Call)
                             and isinstance(c.func, ast.Name)}  # fmt: skip
                    if "authorize" not in calls:
                        missing.append(f"{path.name}: {cls.name}.{fn.name}")
    assert sorted(missing) == SYSTEM_CALLS
