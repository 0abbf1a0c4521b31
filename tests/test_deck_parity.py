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
