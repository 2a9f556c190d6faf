"""The package's file names stay inside their folder, whatever a system calls a category."""

import pytest

from dsr.exports.names import data_file, segment


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("orders", "orders"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("/abs", "_abs"),
        ("..", "_"),
        ("", "_"),
        ("C:\\Windows", "C__Windows"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("line\nbreak\x00", "linebreak"),
        ("Bestellungen", "Bestellungen"),
    ],
)
def test_a_name_part_is_one_harmless_segment(text, cleaned):
    assert segment(text) == cleaned


def test_a_data_file_is_always_under_data_and_its_system():
    assert data_file("../crm", "../../x") == "data/_crm/_.._x.csv"
