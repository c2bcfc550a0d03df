"""Every app asks the permissions table; nobody checks a role by hand.

Outside ``otklik/accounts/permissions.py`` no module (tests aside) may compare a role, filter users
by role, define its own set of roles, or use the model's old role shortcuts; no template may read
``user.role``; every ``can.<name>`` a template asks is a capability of the table; and a parameter
that is a person is typed (``User``, ``AnyUser``), never ``Any``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from otklik.accounts.permissions import Capability

ROOT = Path(__file__).resolve().parents[2]  # otklik/
ALLOWED = {ROOT / "accounts" / "permissions.py", ROOT / "accounts" / "choices.py"}
SHORTCUTS = {"has_role", "sees_all_cases", "is_executor"}
# Calls that make an account with a role (the demo, imports, factories): allowed to name one.
CREATORS = {"User", "create", "create_user", "create_superuser"}


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if path not in ALLOWED and "tests" not in path.parts and "migrations" not in path.parts
    ]


def _is_role(node: ast.AST) -> bool:
    """``x.role``, a name ``role``, or a member ``Role.X``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "role" or (isinstance(node.value, ast.Name) and node.value.id == "Role")
    return isinstance(node, ast.Name) and node.id == "role"


def role_checks(source: str) -> list[tuple[int, str]]:
    """Where ``source`` decides something by role instead of by capability."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(_is_role(n) for n in (node.left, *node.comparators)):
            found.append((node.lineno, "compares a role"))
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in CREATORS and any(k.arg in ("role", "role__in") for k in node.keywords):
                found.append((node.lineno, "selects users by role"))
        elif isinstance(node, ast.Attribute) and node.attr in SHORTCUTS:
            found.append((node.lineno, f"uses the role shortcut .{node.attr}"))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(_is_role(e) for e in node.elts):
            found.append((node.lineno, "defines a set of roles"))
        elif isinstance(node, ast.Dict) and any(k is not None and _is_role(k) for k in node.keys):
            found.append((node.lineno, "maps roles to something"))
    return found


def test_the_check_catches_each_way_of_checking_a_role():
    snippets = [
        "if user.role == Role.LAWYER: pass",
        "ok = user.role in ROLES",
        "User.objects.filter(role=Role.EXECUTOR)",
        "people(role__in=['moderator'])",
        "_people(role=Role.SUPERVISOR)",
        "user.has_role('moderator')",
        "CENTER_ROLES = (Role.MODERATOR, Role.SUPERVISOR)",
        "LANDING = {Role.OBSERVER: 'elections:station'}",
    ]
    for snippet in snippets:
        assert role_checks(snippet), snippet
    assert not role_checks("User(username='o', role=Role.OBSERVER)")  # making an account is fine
    assert not role_checks("User.objects.create(username='e', role=Role.EXECUTOR, agency=office)")
    assert not role_checks("can(user, Capability.MODERATE)")


def test_no_module_checks_a_role_outside_the_permissions_table():
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{line}: {what}"
        for path in _modules()
        for line, what in role_checks(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "ask otklik.accounts.permissions instead:\n" + "\n".join(offenders)


def _templates() -> list[Path]:
    return sorted(ROOT.rglob("templates/**/*.html"))


def test_no_template_reads_a_role_and_every_can_is_a_capability():
    known = {c.value for c in Capability}
    offenders, unknown = [], []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\buser\.(role|is_superuser|has_role|sees_all_cases|is_executor)\b", text):
            offenders.append(f"{path.relative_to(ROOT.parent)}: user.{match.group(1)}")
        unknown += [f"{path.name}: can.{n}" for n in re.findall(r"\bcan\.(\w+)", text) if n not in known]
    assert _templates(), "no templates found: the check would pass vacuously"
    assert not offenders, "use {% if can.<capability> %}:\n" + "\n".join(offenders)
    assert not unknown, "\n".join(unknown)


PEOPLE = {
    "user",
    "actor",
    "lawyer",
    "observer",
    "operator",
    "coordinator",
    "author",
    "moderator",
    "supervisor",
}


def untyped_people(source: str) -> list[tuple[int, str]]:
    """Parameters naming a person annotated ``Any``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                annotation = arg.annotation
                text = ast.unparse(annotation) if annotation is not None else ""
                if arg.arg in PEOPLE and text.strip("'\"") in ("Any", "Any | None", "Optional[Any]"):
                    found.append((node.lineno, f"{node.name}({arg.arg}: {text})"))
    return found


def test_the_untyped_check_catches_a_person_typed_any():
    assert untyped_people("def f(user: Any) -> None: ...")
    assert untyped_people("def f(*, lawyer: 'Any') -> None: ...")
    assert not untyped_people("def f(user: User, data: Any) -> None: ...")


def test_every_person_parameter_is_typed():
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{line}: {what}"
        for path in _modules()
        for line, what in untyped_people(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "type it User (signed in) or AnyUser (request.user):\n" + "\n".join(offenders)
