"""The deck's faster computations give exactly what the plain ones gave (issue 17, cold pages).

layout.wrap places a line's characters by the running sum of their widths (itertools.accumulate)
instead of a loop over every character: the reference below is the loop it replaced, and every
line must come out the same, float rounding at the width included."""

import random

from kpi.outputs.pack.layout import _NO_LINE_START, _WIDTHS, _in_word, text_width, wrap


def reference_wrap(text: str, width_em: float) -> list[str]:
    out: list[str] = []
    for para in (text or "").replace("\r\n", "\n").split("\n"):
        if len(para) <= width_em:
            out.append(para)
            continue
        line, w = "", 0.0
        for ch in para:
            cw = _WIDTHS[ch]
            if line and w + cw > width_em and ch not in _NO_LINE_START:
                start = len(line)
                if _in_word(ch):
                    while start > 0 and _in_word(line[start - 1]):
                        start -= 1
                word = line[start:]
                if 0 < start and text_width(word) + cw <= width_em:
                    out.append(line[:start])
                    line, w = word, text_width(word)
                else:
                    out.append(line)
                    line, w = "", 0.0
                if not line and ch == " ":
                    continue
            line += ch
            w += cw
        out.append(line)
    return out


ALPHABET = list("あいう漢字取組、。）」ーっャ ,./%)abcXYZ0123456789 　－（「\n") + ["\r\n"]
WIDTHS = (0.5, 0.8, 1, 1.8, 2, 3, 3.6, 5, 6.6, 7.3, 10, 31, 33, 40, 42, 48, 50, 84, 88)


def test_wrap_matches_the_character_loop_on_random_text():
    rnd = random.Random(17)
    for _ in range(6000):
        n = rnd.choice([5, 20, 40, 80, 200, 600])
        chars = ALPHABET if rnd.random() < 0.7 else list("0123456789,.a ")
        text = "".join(rnd.choice(chars) for _ in range(rnd.randint(0, n)))
        em = rnd.choice(WIDTHS)
        assert wrap(text, em) == reference_wrap(text, em), (text, em)


def test_wrap_matches_at_exact_widths():
    # Lines whose width is the column's to the last bit of rounding: 55 half-width characters are 33 em.
    for em in (30, 31, 33, 42, 48, 50, 6, 3):
        for unit in ("a", "あ", "aあ", "aaaaaあ", "1,234 ", "。", "a。"):
            text = unit * 200
            assert wrap(text, em) == reference_wrap(text, em), (unit, em)


# ---------------------------------------------------------------- the deck's slides
# build_deck writes each item from its indicator views and reasons alone (not the item page's whole
# ItemView), the overview's lagging rows share the items' reasons in words, and a numbers table
# reads each point's label and rate: every slide must equal what the item page's view and the
# plain lookups give, on the demo plans and the synthetic plan, in both display styles.

import pytest  # noqa: E402
from conftest import TODAY  # noqa: E402

from kpi.outputs.meeting import meeting_slides  # noqa: E402
from kpi.outputs.pack.layout import pages  # noqa: E402
from kpi.outputs.pack.slides import build_deck  # noqa: E402
from kpi.rules.assess import assessment, previous_assessment  # noqa: E402
from kpi.rules.fiscal import format_fiscal_year  # noqa: E402
from kpi.rules.numbers import format_percent  # noqa: E402
from kpi.store.store import Store  # noqa: E402
from kpi.views.common import _indicator_view, item_view_of, overview  # noqa: E402


def _check_deck(data, rule, style):
    result, assessed = assessment(data, rule, today=TODAY)
    deck = build_deck(data, rule, today=TODAY, style=style, assessed=assessed)
    fy = deck.as_of_fy
    plain = overview(data, result, previous_assessment(data, result, assessed), style=style)
    assert tuple(e.reasons for e in deck.summary.lagging) == tuple(r.reason_titles for r in plain.lagging)
    years = tuple(sorted(set(data.data_years) | set(data.plan.years)))
    for s in deck.items:
        view = item_view_of(data, result, s.item_no, style=style)
        ir = result.item(s.item_no)
        assert s.departments == view.departments
        assert s.reasons == tuple(sorted(view.reasons, key=lambda r: not r.lagging))
        assert tuple(p.view for p in s.indicators) == view.indicators
        for p, ind in zip(s.indicators, ir.item.indicators):
            # the view without the shared year labels nor the graded Series: read afresh
            assert p.view == _indicator_view(ind, ir, years, fy, style, data.plan.end_fy, result.today,
                                             rule.actual_grace_months)
            rates = tuple(r.achievement.value if (r := ir.indicator_year(p.name, pt.fiscal_year)) else None
                          for pt in p.view.points)
            assert p.rates == rates
            shown = p.table.columns[1:]
            by_label = {format_fiscal_year(pt.fiscal_year, style): pt for pt in p.view.points}
            assert all(lab in by_label for lab in shown)
            assert p.table.row("達成率")[1:] == tuple(
                format_percent(rates[p.view.points.index(by_label[lab])]) for lab in shown)
    return deck


@pytest.mark.parametrize("style", ["wareki", "seireki"])
def test_the_demo_decks_equal_the_item_views(demo_db, style):
    s = Store.open(demo_db, read_only=True)
    try:
        for info in s.plans():
            data, rule = s.load_plan(info.plan_id), s.rule(info.plan_id)
            deck = _check_deck(data, rule, style)
            ms = meeting_slides(data, rule, today=TODAY, style=style)
            assert ms.deck == deck and ms.two_axis == deck.two_axis
            for sc in ms.screens:  # the screens' line counts, as the loop counted them
                for r in sc.reasons:
                    text = f"{r.title}：{r.detail}"
                    for em in (31, 40, 48):
                        assert wrap(text, em) == reference_wrap(text, em)
            assert pages(deck)
    finally:
        s.close()


def test_the_synthetic_deck_equals_the_item_views(synthetic_db):
    from kpi.intake.synthetic import SYNTHETIC_PLAN
    s = Store.open(synthetic_db, read_only=True)
    try:
        pid = s.plan_by_name(SYNTHETIC_PLAN).plan_id
        _check_deck(s.load_plan(pid), s.rule(pid), "wareki")
    finally:
        s.close()
