"""Loading natasha must not leave pymorphy2's dictionary path in the environment (pymorphy3 reads it too)."""

import os
import subprocess
import sys

import pytest

from otklik.understanding.places import ner


@pytest.mark.skipif(not ner.available(), reason="natasha is not installed")
def test_loading_ner_leaves_pymorphy3_working_in_child_processes():
    ner._models()
    assert "PYMORPHY2_DICT_PATH" not in os.environ
    code = "import pymorphy3; print(pymorphy3.MorphAnalyzer().parse('отключили')[0].normal_form)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "отключить"
