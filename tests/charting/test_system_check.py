"""A bad note_templates.yaml stops `tandem check` (and start-up) with every problem named."""

from __future__ import annotations

from pathlib import Path

from tandem.charting.apps import check_note_templates


def test_the_bundled_templates_pass_the_check():
    assert check_note_templates() == []


def test_a_broken_templates_file_is_a_system_check_error(settings, tmp_path: Path):
    path = tmp_path / "clinic_templates.yaml"
    path.write_text("soap: []\ntemplates:\n  massage-therapy: {code: massage-soap}\n", encoding="utf-8")
    settings.TANDEM_NOTE_TEMPLATES = str(path)
    errors = check_note_templates()
    assert errors and {e.id for e in errors} == {"charting.E001"}
    messages = [e.msg for e in errors]
    assert "template chiropractic: missing: every discipline needs a template" in messages
    assert any(m.startswith("template massage-therapy: `version` must be text") for m in messages)
    assert all(str(path) in e.hint for e in errors)


def test_tandem_check_uses_the_clinics_templates_from_the_environment(tmp_path: Path):
    from tests.accounts.test_security import _tandem

    path = tmp_path / "clinic_templates.yaml"
    path.write_text("soap: []\ntemplates: {}\n", encoding="utf-8")
    broken = _tandem("check", TANDEM_DATA_DIR=str(tmp_path / "data"), TANDEM_NOTE_TEMPLATES=str(path))
    assert broken.returncode != 0
    assert "charting.E001" in broken.stderr and str(path) in broken.stderr

    bundled = Path(__file__).resolve().parents[2] / "src/tandem/charting/note_templates.yaml"
    path.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    fine = _tandem("check", TANDEM_DATA_DIR=str(tmp_path / "data"), TANDEM_NOTE_TEMPLATES=str(path))
    assert fine.returncode == 0, fine.stderr
