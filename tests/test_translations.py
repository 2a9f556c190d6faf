"""Every user-facing string has a German and a Dutch translation.

The catalogues are extracted afresh from the code (as `make makemessages` does) into a copy of
the project, so a new string that nobody translated fails here, and so does a fuzzy guess.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("manage.py", "dsr", "accounts", "connectors", "templates", "locale")
LANGUAGES = ("de", "nl")


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory):
    copy = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dsr.settings", "DSR_VAR_DIR": str(copy / "var")}
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(key, None)
    args = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
    args += [f"-l{lang}" for lang in LANGUAGES] + ["--ignore=var"]
    result = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {
        lang: polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))
        for lang in LANGUAGES
    }


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.slow
def test_every_string_is_translated(fresh_catalogues, lang):
    catalogue = fresh_catalogues[lang]
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated in {lang}: {untranslated}"
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy}"
    assert len(catalogue) > 50  # the extraction really found the templates


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogues_compile_with_matching_placeholders(lang):
    po = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.slow
def test_the_committed_catalogue_has_no_stale_entries(fresh_catalogues, lang):
    committed = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))
    fresh_ids = {(e.msgctxt, e.msgid) for e in fresh_catalogues[lang]}
    stale = [e.msgid for e in committed if not e.obsolete and (e.msgctxt, e.msgid) not in fresh_ids]
    assert not stale, f"run `make makemessages`: {stale}"
