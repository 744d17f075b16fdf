"""Check that the Chinese catalogues cover every UI string, and (with --update) refresh them.

Each Luoshi app keeps its catalogue in ``<app>/locale/zh_Hans/LC_MESSAGES/django.po`` with the
compiled ``django.mo`` beside it. Strings outside any app (the settings' navigation labels,
``luoshi/api.py``, packages without an app such as ``luoshi/demo``) belong to core's catalogue.

The check copies each app's sources into a temporary folder, runs ``makemessages`` there and
compares the result with the committed files, so the working tree is never touched. It fails when
a msgid in code or templates is missing from the ``.po``, an entry is untranslated or fuzzy, a
translation drops a placeholder, the header is wrong, or the ``.mo`` does not hold what the
``.po`` compiles to. ``--update`` writes the merged ``.po`` files (new entries still need
translating) and recompiles the ``.mo`` files whose content changed.
"""

from __future__ import annotations

import contextlib
import gettext
import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

LOCALE = "zh_Hans"
DOMAIN = "django"
LANGUAGE_HEADER = f"Language: {LOCALE}"
PLURAL_HEADER = "Plural-Forms: nplurals=1; plural=0;"
# Folders and files whose strings are not the UI's: tests, migrations, static assets, caches.
IGNORED = (
    "locale",
    "tests",
    "*_tests",
    "test_*.py",
    "conftest.py",
    "migrations",
    "static",
    "node_modules",
    "__pycache__",
    "*.pyc",
)
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|\{\w*\}"
)


# --- reading .po files -------------------------------------------------------------------------


@dataclass
class Entry:
    """One message of a PO file."""

    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(text.strip() for text in self.msgstr.values())

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return context + self.msgid


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"not a quoted PO string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Parse PO text into entries (obsolete ``#~`` entries are kept, flagged ``obsolete``)."""
    entries: list[Entry] = []
    entry = Entry()
    started = False  # the current entry has a keyword line
    has_msgstr = False
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal entry, started, has_msgstr, target
        if started:
            entries.append(entry)
        entry, started, has_msgstr, target = Entry(), False, False, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        if not line:
            if not obsolete:
                flush()
            continue
        if line.startswith("#"):
            if has_msgstr:
                flush()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        try:
            if line.startswith('"'):
                if target is None:
                    raise ValueError("continuation line without a keyword")
                name, index = target
                value = _unquote(line)
                if name == "msgstr":
                    entry.msgstr[index] += value
                else:
                    setattr(entry, name, (getattr(entry, name) or "") + value)
                continue
            keyword, _, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and has_msgstr:
                flush()
            entry.obsolete = entry.obsolete or obsolete
            started = True
            value = _unquote(rest)
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                setattr(entry, keyword, value)
                target = (keyword, 0)
            elif keyword == "msgstr" or keyword.startswith("msgstr["):
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                entry.msgstr[index] = value
                has_msgstr = True
                target = ("msgstr", index)
            else:
                raise ValueError(f"unknown keyword {keyword!r}")
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from exc
    flush()
    return entries


def active(entries: Iterable[Entry]) -> dict[tuple[str | None, str], Entry]:
    """The entries that count: neither the header nor obsolete."""
    return {e.key: e for e in entries if not e.is_header and not e.obsolete}


def header_of(entries: Iterable[Entry]) -> Entry | None:
    return next((e for e in entries if e.is_header and not e.obsolete), None)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


# --- catalogues ---------------------------------------------------------------------------------


@dataclass
class Catalogue:
    """One app's catalogue: its own folder plus any extra sources whose strings it carries."""

    name: str
    root: Path
    extras: list[Path] = field(default_factory=list)

    @property
    def po(self) -> Path:
        return self.root / "locale" / LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po"

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")


@dataclass
class Problem:
    catalogue: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.catalogue}: {self.kind}: {self.detail}"


@dataclass
class Result:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    merged_po: str | None = None  # the catalogue after makemessages, for --update


def catalogues(package: Path | None = None, extras: Iterable[Path] = ()) -> list[Catalogue]:
    """Every app in the ``luoshi`` package (a folder with ``apps.py``) has a catalogue.

    Core's also carries the strings outside any app: ``extras`` (by default the ``config``
    package), the package's own modules and its sub-packages that are not apps.
    """
    base = Path(settings.BASE_DIR)
    package = package or base / "luoshi"
    extras = list(extras) if extras else [base / "config"]
    found: list[Catalogue] = []
    outside: list[Path] = []
    for child in sorted(package.iterdir()):
        if child.name.startswith((".", "_")) or any(fnmatch(child.name, p) for p in IGNORED):
            continue
        if child.is_dir() and (child / "apps.py").exists():
            found.append(Catalogue(child.name, child))
        elif (child.is_dir() and (child / "__init__.py").exists()) or child.suffix == ".py":
            outside.append(child)
    core = next((c for c in found if c.name == "core"), None)
    if core is None:
        raise CommandError(f"no core app in {package}")
    core.extras.extend([*extras, *outside])
    return found


def _copy_sources(catalogue: Catalogue, into: Path) -> None:
    ignore = shutil.ignore_patterns(*IGNORED)
    shutil.copytree(catalogue.root, into, ignore=ignore)
    for number, extra in enumerate(catalogue.extras):
        target = into / f"_extra_{number}_{extra.stem}"
        if extra.is_dir():
            shutil.copytree(extra, target, ignore=ignore)
        else:
            target.mkdir()
            shutil.copy2(extra, target / extra.name)


def compile_po(po: Path, mo: Path) -> None:
    """Compile like ``compilemessages`` does; raises CommandError with msgfmt's complaint."""
    done = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(mo), str(po)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise CommandError(f"msgfmt rejected {po}:\n{done.stderr.strip()}")


def _mo_catalog(mo: Path) -> dict[Any, str]:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def extract(catalogue: Catalogue, workdir: Path) -> tuple[list[Entry], str | None]:
    """Run makemessages on a copy of the catalogue's sources: (extracted entries, merged .po text)."""
    source = workdir / catalogue.name
    _copy_sources(catalogue, source)
    po = source / "locale" / LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po"
    po.parent.mkdir(parents=True)
    if catalogue.po.exists():
        shutil.copy2(catalogue.po, po)
    with contextlib.chdir(source):
        call_command(
            "makemessages",
            locale=[LOCALE],
            domain=DOMAIN,
            no_location=True,
            no_wrap=True,
            no_obsolete=True,
            keep_pot=True,
            verbosity=0,
            stdout=io.StringIO(),
        )
    pot = source / "locale" / f"{DOMAIN}.pot"
    extracted = parse_po(pot.read_text(encoding="utf-8")) if pot.exists() else []
    merged = po.read_text(encoding="utf-8") if po.exists() else None
    return extracted, merged


def check_catalogue(catalogue: Catalogue, workdir: Path) -> Result:
    """Compare the committed catalogue with what the code asks for; nothing in the tree is written."""
    result = Result()
    extracted_entries, result.merged_po = extract(catalogue, workdir)
    extracted = active(extracted_entries)

    def problem(kind: str, detail: str) -> None:
        result.problems.append(Problem(catalogue.name, kind, detail))

    if not catalogue.po.exists():
        if extracted:
            problem("no catalogue", f"{catalogue.po} is missing; run check_translations --update")
            for entry in extracted.values():
                problem("missing", entry.label)
        return result

    try:
        committed_entries = parse_po(catalogue.po.read_text(encoding="utf-8"))
    except ValueError as exc:
        problem("unreadable", f"{catalogue.po}: {exc}")
        return result
    committed = active(committed_entries)

    header = header_of(committed_entries)
    header_text = header.msgstr.get(0, "") if header else ""
    if LANGUAGE_HEADER not in header_text:
        problem("header", f"the header must say {LANGUAGE_HEADER!r}")
    if PLURAL_HEADER not in header_text:
        problem("header", f"the header must say {PLURAL_HEADER!r}")
    if header and header.fuzzy:
        problem("header", "the header is marked fuzzy")

    for key, wanted in extracted.items():
        found = committed.get(key)
        if found is None:
            problem("missing", wanted.label)
        elif found.msgid_plural != wanted.msgid_plural:
            problem("plural changed", wanted.label)
        elif found.fuzzy:
            problem("fuzzy", found.label)
        elif not found.translated:
            problem("untranslated", found.label)
    for key, entry in committed.items():
        if key not in extracted:
            result.warnings.append(Problem(catalogue.name, "no longer used", entry.label))
            continue
        if entry.fuzzy or not entry.translated:
            continue
        for index, text in entry.msgstr.items():
            source = entry.msgid_plural if entry.msgid_plural is not None and index > 0 else entry.msgid
            if entry.msgid_plural is not None and index == 0 and len(entry.msgstr) == 1:
                source = entry.msgid_plural  # one form only: it stands for the plural
            if placeholders(source) != placeholders(text):
                problem("placeholders", f"{entry.label!r} → {text!r}")

    compiled = workdir / f"{catalogue.name}.mo"
    try:
        compile_po(catalogue.po, compiled)
    except CommandError as exc:
        problem("does not compile", str(exc))
        return result
    if not catalogue.mo.exists():
        problem("not compiled", f"{catalogue.mo} is missing")
    elif _mo_catalog(catalogue.mo) != _mo_catalog(compiled):
        problem("not compiled", f"{catalogue.mo} does not match {catalogue.po.name}")
    return result


def _without_creation_date(text: str) -> str:
    return re.sub(r'^"POT-Creation-Date: .*"$', "", text, flags=re.MULTILINE)


def normalise_header(text: str, name: str) -> str:
    """A new catalogue's header: Luoshi's, Chinese, one plural form, not fuzzy."""
    text = text.replace(
        "# SOME DESCRIPTIVE TITLE.", f"# Luoshi: Simplified Chinese strings of the {name} app.", 1
    )
    text = re.sub(
        r"^# (Copyright \(C\) YEAR|This file is distributed|FIRST AUTHOR).*\n", "", text, flags=re.MULTILINE
    )
    text = text.replace('"Project-Id-Version: PACKAGE VERSION\\n"', '"Project-Id-Version: Luoshi\\n"', 1)
    text = re.sub(r'^"Language: [^"]*\\n"$', f'"{LANGUAGE_HEADER}\\\\n"', text, count=1, flags=re.MULTILINE)
    text = re.sub(r'^"Plural-Forms: [^"]*\\n"$', f'"{PLURAL_HEADER}\\\\n"', text, count=1, flags=re.MULTILINE)
    head, sep, rest = text.partition('msgid ""')
    head = re.sub(r"^#, fuzzy\n", "", head, flags=re.MULTILINE)
    return head + sep + rest


def update_catalogue(catalogue: Catalogue, result: Result) -> list[str]:
    """Write the merged .po (when its entries changed) and recompile the .mo (when its content changed)."""
    changed: list[str] = []
    if result.merged_po is None:
        return changed
    merged = normalise_header(result.merged_po, catalogue.name)
    old = catalogue.po.read_text(encoding="utf-8") if catalogue.po.exists() else None
    if old is None or _without_creation_date(old) != _without_creation_date(merged):
        catalogue.po.parent.mkdir(parents=True, exist_ok=True)
        catalogue.po.write_text(merged, encoding="utf-8")
        changed.append(str(catalogue.po))
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "django.mo"
        compile_po(catalogue.po, compiled)
        if not catalogue.mo.exists() or _mo_catalog(catalogue.mo) != _mo_catalog(compiled):
            shutil.copyfile(compiled, catalogue.mo)
            changed.append(str(catalogue.mo))
    return changed


def inconsistencies(selected: Iterable[Catalogue]) -> list[Problem]:
    """Django merges every app's catalogue into one: a msgid must read the same in all of them."""
    seen: dict[tuple[str | None, str], dict[tuple[str, ...], list[str]]] = {}
    for catalogue in selected:
        if not catalogue.po.exists():
            continue
        try:
            entries = active(parse_po(catalogue.po.read_text(encoding="utf-8")))
        except ValueError:
            continue  # reported by check_catalogue
        for key, entry in entries.items():
            if entry.translated and not entry.fuzzy:
                texts = tuple(entry.msgstr[i] for i in sorted(entry.msgstr))
                seen.setdefault(key, {}).setdefault(texts, []).append(catalogue.name)
    problems = []
    for (context, msgid), variants in sorted(seen.items(), key=lambda item: (item[0][1], item[0][0] or "")):
        if len(variants) > 1:
            label = (f"[{context}] " if context is not None else "") + msgid
            detail = "; ".join(
                f"{' / '.join(texts)} ({', '.join(names)})" for texts, names in variants.items()
            )
            problems.append(Problem("all", "translated differently", f"{label!r}: {detail}"))
    return problems


def _served_before(catalogue: Catalogue) -> list[tuple[str, dict[Any, str]]]:
    """The catalogues of the installed apps listed before this one: Django prefers theirs."""
    from django.apps import apps

    earlier: list[tuple[str, dict[Any, str]]] = []
    for config in apps.get_app_configs():
        if Path(config.path).resolve() == catalogue.root.resolve():
            return earlier
        found = gettext.find(DOMAIN, str(Path(config.path) / "locale"), [LOCALE])
        if found:
            earlier.append((config.label, _mo_catalog(Path(found))))
    return []  # not an installed app: nothing is served from it


def shadowed(selected: Iterable[Catalogue]) -> list[Problem]:
    """Entries whose translation never shows because an app earlier in INSTALLED_APPS translates them."""
    problems = []
    for catalogue in selected:
        if not catalogue.po.exists():
            continue
        try:
            entries = active(parse_po(catalogue.po.read_text(encoding="utf-8")))
        except ValueError:
            continue
        earlier = _served_before(catalogue)
        for entry in entries.values():
            if not entry.translated or entry.fuzzy:
                continue
            msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
            key: Any = (msgid, 0) if entry.msgid_plural is not None else msgid
            for label, served in earlier:
                if key in served and served[key] != entry.msgstr.get(0):
                    problems.append(
                        Problem(
                            catalogue.name,
                            "shown as the earlier app's",
                            f"{entry.label!r} is {served[key]!r} in {label}, listed earlier in INSTALLED_APPS; "
                            f"use that, not {entry.msgstr.get(0)!r}",
                        )
                    )
                    break
    return problems


def run_checks(selected: Iterable[Catalogue]) -> Iterator[tuple[Catalogue, Result]]:
    for catalogue in selected:
        with tempfile.TemporaryDirectory(prefix="luoshi-i18n-") as tmp:
            yield catalogue, check_catalogue(catalogue, Path(tmp))


class Command(BaseCommand):
    help = (
        "Fail if the Chinese catalogues miss, leave untranslated or fuzzy any UI string, or if a .mo "
        "is not its .po compiled. --update refreshes the .po files from the code and recompiles."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="write the merged .po files and recompile the .mo files (new entries still need translating)",
        )
        parser.add_argument("apps", nargs="*", help="app labels to check (default: all Luoshi apps)")

    def handle(self, *args: Any, **options: Any) -> None:
        for program in ("xgettext", "msgmerge", "msgfmt"):
            if shutil.which(program) is None:
                raise CommandError(f"{program} is not installed (Debian package: gettext)")
        selected = [c for c in catalogues() if not options["apps"] or c.name in options["apps"]]
        problems: list[Problem] = []
        for catalogue, result in run_checks(selected):
            for warning in result.warnings:
                self.stderr.write(f"warning: {warning}")
            if options["update"]:
                for path in update_catalogue(catalogue, result):
                    self.stdout.write(f"updated {path}")
                continue
            problems.extend(result.problems)
        if options["update"]:
            self.stdout.write(
                "Catalogues refreshed; run check_translations to see what still needs translating."
            )
            return
        problems.extend(inconsistencies(selected))
        problems.extend(shadowed(selected))
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} translation problem(s) in {LOCALE} catalogues")
        self.stdout.write(f"{LOCALE} catalogues complete: {', '.join(c.name for c in selected)}")
