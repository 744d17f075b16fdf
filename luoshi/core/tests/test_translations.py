"""The Chinese catalogues: the completeness check's logic, and that the compiled catalogues are served."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.utils import translation

from luoshi.core.management.commands import check_translations as ct

needs_gettext = pytest.mark.skipif(
    not all(shutil.which(p) for p in ("xgettext", "msgmerge", "msgfmt")), reason="gettext is not installed"
)

HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_Hans\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

"""

GOOD = """msgid "Hello"
msgstr "你好"

msgid "World"
msgstr "世界"

msgid "%(counter)s item"
msgid_plural "%(counter)s items"
msgstr[0] "%(counter)s项"
"""


def make_app(root: Path) -> ct.Catalogue:
    """A tiny app: one string in Python, one plain and one plural string in a template."""
    root.mkdir(parents=True)
    (root / "apps.py").write_text("")
    (root / "views.py").write_text(
        'from django.utils.translation import gettext as _\n\nGREETING = _("Hello")\n'
    )
    (root / "templates").mkdir()
    (root / "templates" / "page.html").write_text(
        '{% load i18n %}<p>{% translate "World" %}</p>\n'
        "{% blocktranslate count counter=n %}{{ counter }} item{% plural %}{{ counter }} items"
        "{% endblocktranslate %}\n"
    )
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_views.py").write_text(
        'from django.utils.translation import gettext as _\n\n_("Only in a test")\n'
    )
    return ct.Catalogue("demoapp", root)


def write_po(catalogue: ct.Catalogue, body: str, header: str = HEADER, compile_it: bool = True) -> None:
    catalogue.po.parent.mkdir(parents=True, exist_ok=True)
    catalogue.po.write_text(header + body, encoding="utf-8")
    if compile_it:
        ct.compile_po(catalogue.po, catalogue.mo)


def check(catalogue: ct.Catalogue, tmp_path: Path) -> list[tuple[str, str]]:
    work = tmp_path / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    return [(p.kind, p.detail) for p in ct.check_catalogue(catalogue, work).problems]


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_parse_po_reads_context_plurals_flags_continuations_and_obsolete_entries() -> None:
    text = (
        HEADER
        + """#, fuzzy, python-format
msgctxt "person"
msgid "Name"
msgstr "姓名"

msgid ""
"Two "
"lines with \\"quotes\\"\\n"
msgstr "两行"

msgid "%(counter)s unit"
msgid_plural "%(counter)s units"
msgstr[0] ""

#~ msgid "Gone"
#~ msgstr "已删"
"""
    )
    entries = ct.parse_po(text)
    header = ct.header_of(entries)
    assert header is not None and "nplurals=1" in header.msgstr[0]
    by_id = {e.msgid: e for e in entries if not e.is_header}
    assert by_id["Name"].msgctxt == "person" and by_id["Name"].fuzzy
    assert by_id["Name"].flags == {"fuzzy", "python-format"}
    assert by_id['Two lines with "quotes"\n'].msgstr == {0: "两行"}
    assert by_id["%(counter)s unit"].msgid_plural == "%(counter)s units"
    assert not by_id["%(counter)s unit"].translated
    assert by_id["Gone"].obsolete
    assert set(ct.active(entries)) == {
        ("person", "Name"),
        (None, 'Two lines with "quotes"\n'),
        (None, "%(counter)s unit"),
    }


def test_parse_po_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="line 1"):
        ct.parse_po('msgid "unterminated\n')


@needs_gettext
def test_complete_catalogue_passes_and_the_tree_is_left_as_it_was(tmp_path: Path) -> None:
    catalogue = make_app(tmp_path / "demoapp")
    write_po(catalogue, GOOD)
    before = tree_digest(catalogue.root)
    assert check(catalogue, tmp_path) == []
    assert tree_digest(catalogue.root) == before


@needs_gettext
def test_missing_untranslated_and_fuzzy_entries_are_listed(tmp_path: Path) -> None:
    catalogue = make_app(tmp_path / "demoapp")
    write_po(
        catalogue,
        """#, fuzzy
msgid "World"
msgstr "世界"

msgid "%(counter)s item"
msgid_plural "%(counter)s items"
msgstr[0] ""
""",
    )
    problems = check(catalogue, tmp_path)
    assert ("missing", "Hello") in problems
    assert ("fuzzy", "World") in problems
    assert ("untranslated", "%(counter)s item") in problems
    # Strings that only tests use are not the UI's.
    assert not [p for p in problems if "Only in a test" in p[1]]


@needs_gettext
def test_a_mo_that_is_missing_or_stale_fails(tmp_path: Path) -> None:
    catalogue = make_app(tmp_path / "demoapp")
    write_po(catalogue, GOOD, compile_it=False)
    assert ("not compiled", f"{catalogue.mo} is missing") in check(catalogue, tmp_path)

    ct.compile_po(catalogue.po, catalogue.mo)
    write_po(catalogue, GOOD.replace("你好", "您好"), compile_it=False)
    assert [kind for kind, _ in check(catalogue, tmp_path)] == ["not compiled"]


@needs_gettext
def test_dropped_placeholders_and_a_wrong_header_fail(tmp_path: Path) -> None:
    catalogue = make_app(tmp_path / "demoapp")
    write_po(
        catalogue,
        GOOD.replace('msgstr[0] "%(counter)s项"', 'msgstr[0] "若干项"'),
        header=HEADER.replace("nplurals=1; plural=0;", "nplurals=2; plural=(n != 1);"),
        compile_it=False,
    )
    kinds = [kind for kind, _ in check(catalogue, tmp_path)]
    assert "placeholders" in kinds
    assert "header" in kinds


@needs_gettext
def test_update_writes_new_entries_and_compiles(tmp_path: Path) -> None:
    catalogue = make_app(tmp_path / "demoapp")
    work = tmp_path / "work"
    work.mkdir()
    result = ct.check_catalogue(catalogue, work)
    assert result.problems and result.problems[0].kind == "no catalogue"

    changed = ct.update_catalogue(catalogue, result)
    assert changed == [str(catalogue.po), str(catalogue.mo)]
    text = catalogue.po.read_text(encoding="utf-8")
    assert '"Language: zh_Hans\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    assert "SOME DESCRIPTIVE TITLE" not in text
    header = ct.header_of(ct.parse_po(text))
    assert header is not None and not header.fuzzy
    assert set(ct.active(ct.parse_po(text))) == {(None, "Hello"), (None, "World"), (None, "%(counter)s item")}
    # Nothing is translated yet, so the check still fails, now only on untranslated entries.
    assert {kind for kind, _ in check(catalogue, tmp_path)} == {"untranslated"}

    # Running the update again on an unchanged tree writes nothing.
    again = tmp_path / "again"
    again.mkdir()
    assert ct.update_catalogue(catalogue, ct.check_catalogue(catalogue, again)) == []


def test_catalogues_are_the_apps_and_core_carries_the_rest(tmp_path: Path) -> None:
    package = tmp_path / "luoshi"
    for name in ("core", "org"):
        (package / name).mkdir(parents=True)
        (package / name / "apps.py").write_text("")
    (package / "demo").mkdir()
    (package / "demo" / "__init__.py").write_text("")
    (package / "browser_tests").mkdir()
    (package / "browser_tests" / "__init__.py").write_text("")
    (package / "api.py").write_text("")
    (package / "conftest.py").write_text("")
    (package / "__init__.py").write_text("")
    config = tmp_path / "config"

    found = {c.name: c for c in ct.catalogues(package, [config])}
    assert set(found) == {"core", "org"}
    assert found["core"].extras == [config, package / "api.py", package / "demo"]
    assert found["org"].extras == []


def test_the_same_msgid_must_read_the_same_in_every_catalogue(tmp_path: Path) -> None:
    one, two = ct.Catalogue("one", tmp_path / "one"), ct.Catalogue("two", tmp_path / "two")
    write_po(one, 'msgid "Source"\nmsgstr "来源"\n', compile_it=False)
    write_po(
        two, 'msgid "Source"\nmsgstr "依据"\n\nmsgctxt "x"\nmsgid "Source"\nmsgstr "依据"\n', compile_it=False
    )
    problems = ct.inconsistencies([one, two])
    assert len(problems) == 1
    assert problems[0].kind == "translated differently" and "'Source'" in problems[0].detail


def test_the_project_catalogues_are_served() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Zones") == "片区"
        assert translation.gettext("Leadership cockpit") == "领导驾驶舱"
        assert translation.pgettext("person", "Name") == "姓名"
        assert translation.gettext("Name") == "名称"
        assert translation.ngettext("%(counter)s unit", "%(counter)s units", 3) % {"counter": 3} == "3个单位"
        assert translation.gettext("Inbox") == "消息"
    with translation.override("en"):
        assert translation.gettext("Zones") == "Zones"


def test_an_entry_an_earlier_app_translates_otherwise_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = ct.Catalogue("mine", tmp_path / "mine")
    write_po(ours, 'msgid "active"\nmsgstr "启用"\n\nmsgid "kind"\nmsgstr "类型"\n', compile_it=False)
    monkeypatch.setattr(
        ct, "_served_before", lambda catalogue: [("auth", {"active": "有效", "kind": "类型"})]
    )
    problems = ct.shadowed([ours])
    assert [(p.kind, p.catalogue) for p in problems] == [("shown as the earlier app's", "mine")]
    assert "'active'" in problems[0].detail and "有效" in problems[0].detail


def test_the_apps_served_before_ours_are_the_earlier_installed_ones() -> None:
    org = next(c for c in ct.catalogues() if c.name == "org")
    earlier = dict(ct._served_before(org))
    assert "auth" in earlier and earlier["auth"]["active"] == "有效"
    assert "core" in earlier and "notify" not in earlier
