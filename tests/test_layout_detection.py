"""Layouts are detected from the sheet content, never the file name, and no layout is mistaken for another."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, TEST_DATA

from kpi.intake.layouts import LAYOUTS, MIN_SCORE, detect_layout, read_workbook
from kpi.outputs.template import write_template

EXPECTED = {
    SAMPLES / "niigata_kaikaku_no28.xlsx": "progress_sheet",
    SAMPLES / "kodaira_plan3_actions.xlsx": "action_list",
    SAMPLES / "kodaira_sousei_progress_h29.xlsx": "strategy_list",
    SAMPLES / "tomisato_kyodo_progress.xlsx": "marks_progress",
    SAMPLES / "kodaira_kyodo_guideline_tables.xlsx": "guideline_tables",
    TEST_DATA / "heldback" / "heldback_progress_sheet.xlsx": "progress_sheet",
    TEST_DATA / "heldback" / "heldback_action_list.xlsx": "action_list",
    TEST_DATA / "heldback" / "heldback_strategy_list.xlsx": "strategy_list",
    TEST_DATA / "heldback" / "heldback_marks_progress.xlsx": "marks_progress",
    TEST_DATA / "heldback" / "heldback_guideline_tables.xlsx": "guideline_tables",
}


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.stem)
def test_renamed_file_is_still_detected_and_no_other_layout_claims_it(path, tmp_path):
    renamed = tmp_path / "提出用.xlsx"
    renamed.write_bytes(path.read_bytes())
    wb = read_workbook(renamed)
    assert detect_layout(wb).key == EXPECTED[path]
    others = {lay.key: lay.detect(wb) for lay in LAYOUTS if lay.key != EXPECTED[path]}
    assert max(others.values()) < MIN_SCORE, others


def test_the_canonical_template_is_not_mistaken_for_a_published_layout(tmp_path):
    write_template(tmp_path / "t.xlsx", plan_name="テスト計画")
    wb = read_workbook(tmp_path / "t.xlsx")
    assert detect_layout(wb).key == "canonical"
    assert max(lay.detect(wb) for lay in LAYOUTS if lay.key != "canonical") < MIN_SCORE


def test_every_published_layout_is_registered():
    assert {lay.key for lay in LAYOUTS} >= {"canonical", "progress_sheet", "action_list", "strategy_list",
                                           "marks_progress", "guideline_tables"}
