import pytest

from kpi.rules.departments import format_departments, parse_departments


@pytest.mark.parametrize("text, expected", [
    ("市民協働課● 中央公民館", [("市民協働課", True, "担当"), ("中央公民館", False, "担当")]),
    ("市民協働課●中央公民館", [("市民協働課", True, "担当"), ("中央公民館", False, "担当")]),
    ("中央公民館、●市民協働課", [("中央公民館", False, "担当"), ("市民協働課", True, "担当")]),
    ("産業振興課\n(学務課)", [("産業振興課", True, "担当"), ("学務課", False, "関連")]),
    ("都市計画課\n（地域整備支援課）\n（水と緑と公園課）",
     [("都市計画課", True, "担当"), ("地域整備支援課", False, "関連"), ("水と緑と公園課", False, "関連")]),
    ("文化スポーツ課、防災危機管理課", [("文化スポーツ課", True, "担当"), ("防災危機管理課", False, "担当")]),
    ("政策課、市民協働・男女参画推進課", [("政策課", True, "担当"), ("市民協働・男女参画推進課", False, "担当")]),
    ("", []),
    (None, []),
    ("―", []),
])
def test_parse_departments(text, expected):
    assert [(d.name, d.is_main, d.role) for d in parse_departments(text)] == expected


def test_format_puts_main_first():
    assert format_departments(parse_departments("中央公民館、●市民協働課")) == "市民協働課、中央公民館"
